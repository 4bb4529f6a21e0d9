#!/usr/bin/env python
"""The SubM maps' key order against an earlier commit's, on the model's own 9³ maps (plain script, print only).

Loads `lkseg_nb/sparse.py` as it was at git revision --rev (default c2923d3: keys (b,z,y,x), neighbour window along x)
beside the current one (keys (b,x,y,z), the voxelizer's row order, window along z), builds both maps of each of the
reference-config model's four SubM 9³ layers on the real scan, checks they hold the same pairs per offset, and times
the current product kernels on either map, alternating in one process at the default thread count: forward, input
gradient and weight gradient at the models' widths (64→64 naive; 64→32 and 32→64 CWS-compact). Prints medians and
the median of the paired ratios new / old, the map-building times, and whether forward and input gradient give the same
bits on either map (`=`; `≠` if not; the weight gradient sums an offset's pairs in map order, so it is not compared).
Needs the git history (run in a clone).

    python bench/bench_map_order.py [--rev c2923d3] [--trials 5]
"""
import argparse, importlib.util, statistics, subprocess, sys, tempfile, time, warnings
from pathlib import Path

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--rev', default='c2923d3', help='git revision whose lkseg_nb/sparse.py builds the "old" maps')
    p.add_argument('--widths', default='64:64,64:32,32:64', help='C_in:C_out, comma-separated')
    p.add_argument('--trials', type=int, default=5)
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    import torch
    from lkseg_nb import bench, sparse as S
    from lkseg_nb.model import reference_config
    scan = bench.kitti_scan(a.scan)
    if scan is None: sys.exit("bench_map_order: scan not found (shared/data/semantickitti absent); pass --scan PATH")
    root = Path(__file__).resolve().parents[1]
    try: src = subprocess.run(['git', 'show', f'{a.rev}:lkseg_nb/sparse.py'], cwd=root, check=True, capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e: sys.exit(f"bench_map_order: cannot read lkseg_nb/sparse.py at {a.rev!r} ({e})")
    with tempfile.TemporaryDirectory() as tmp:   # the old module only needs its file while it is executed
        old_py = Path(tmp) / 'lkseg_old_sparse.py'
        old_py.write_text(src)
        spec = importlib.util.spec_from_file_location('lkseg_old_sparse', old_py)
        O = importlib.util.module_from_spec(spec); sys.modules['lkseg_old_sparse'] = O; spec.loader.exec_module(O)

    calls, orig = [], S.build_subm_map   # the model's own SubM 9³ layers: their (indices, shape)
    def keep(*args, **kw):
        km = orig(*args, **kw)
        if km.kernel_size == (9, 9, 9): calls.append((args[0], args[1]))
        return km
    S.build_subm_map = keep
    try:
        model = bench.model_variants(reference_config(), granularities=('tap',))['naive 9³'].eval()
        with torch.no_grad(): model(dict(bench.scan_batch(scan)))
    finally: S.build_subm_map = orig

    print(f"threads {torch.get_num_threads()}; old = keys at {a.rev}, new = this tree; ms, median of {a.trials}; ×: median paired ratio new / old")
    ratios = []
    for idx, shape in calls:
        B = {'old': [], 'new': []}
        for _ in range(a.trials):
            t = time.perf_counter(); ko = O.build_subm_map(idx, shape, 9); B['old'].append(time.perf_counter() - t)
            t = time.perf_counter(); kn = S.build_subm_map(idx, shape, 9); B['new'].append(time.perf_counter() - t)
        s = 0
        for k, n in enumerate(kn.counts):   # same pairs per offset, in another order
            if ko.counts[k] != n or set(zip(ko.in_idx[s:s + n].tolist(), ko.out_idx[s:s + n].tolist())) != \
               set(zip(kn.in_idx[s:s + n].tolist(), kn.out_idx[s:s + n].tolist())):
                sys.exit(f"bench_map_order: maps differ at offset {k} ({kn.n_in} voxels)")
            s += n
        ident = kn.rank is not None and bool(torch.equal(kn.rank, torch.arange(kn.n_in)))
        print(f"map {kn.n_in:6,} voxels {kn.n_pairs:10,} pairs: build old {statistics.median(B['old'])*1e3:.0f} ms, "
              f"new {statistics.median(B['new'])*1e3:.0f} ms; same pairs; new rank is the identity: {ident}")
        for ci, co in (tuple(int(c) for c in w.split(':')) for w in a.widths.split(',')):
            g = torch.Generator().manual_seed(0)
            x, w, go = (torch.randn(kn.n_in, ci, generator=g), torch.randn(len(kn.counts), ci, co, generator=g) * 0.05,
                        torch.randn(kn.n_out, co, generator=g))
            jobs = {'fwd': lambda m: S._gemm_fwd(x, w, m, active=None),
                    'gx': lambda m: S._gemm_bwd(x, w, go, m, need_w=False, active=None),
                    'gw': lambda m: S._gemm_bwd(x, w, go, m, need_x=False, active=None)}
            row = []
            for j, f in jobs.items():
                T = {'old': [], 'new': []}
                f(ko); f(kn)   # warm-up: block tables (cached on the map), allocator
                for _ in range(a.trials):
                    for n, m in (('old', ko), ('new', kn)):
                        t = time.perf_counter(); f(m); T[n].append(time.perf_counter() - t)
                r = statistics.median([b / o for o, b in zip(T['old'], T['new'])])
                ratios.append((r, statistics.median(T['old']), statistics.median(T['new'])))
                a_, b_ = f(ko), f(kn)   # forward / input grad sum every output row in offset order: the same bits on either map
                same = all(torch.equal(u, v) for u, v in zip(a_ if isinstance(a_, tuple) else (a_,), b_ if isinstance(b_, tuple) else (b_,)) if u is not None)
                row.append(f"{j} {statistics.median(T['old'])*1e3:6.1f} → {statistics.median(T['new'])*1e3:6.1f} ×{r:.3f}"
                           + ('' if j == 'gw' else (' =' if same else ' ≠')))
            print(f"   {ci}→{co}: " + '   '.join(row))
    so, sn = sum(r[1] for r in ratios), sum(r[2] for r in ratios)
    print(f"all products: old {so:.2f} s, new {sn:.2f} s (×{sn / so:.3f}); paired ratios {min(r[0] for r in ratios):.3f}–{max(r[0] for r in ratios):.3f}")

if __name__ == '__main__': main()
