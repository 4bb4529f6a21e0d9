#!/usr/bin/env python
"""Where one inference forward spends its time: 9³ convs vs neighbour maps vs everything else (plain script, print only).

On the real scan at the reference config, naive 9³ and per-tap SDS 0.3 + CWS 0.5 compact (the models of
`python -m lkseg_nb.bench --only model`), interleaved for --rounds rounds, medians:
  conv  = time inside the sparse-conv products (`lkseg_nb.sparse._gemm_fwd`, including the skipped-offset check),
  maps  = time building SubM neighbour maps (`build_subm_map`),
  active = the all-zero-offset check (`active_offsets`, once per conv call),
  rest  = everything else (voxelization, stem, point branch, BN/activations, 1x1 convs, head).
Also times the neighbour search on its own, torch path vs native, at 0.1 m (same pairs; checked).

    python bench/profile_model.py
"""
import argparse, statistics, sys, time, warnings
from collections import defaultdict

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--rounds', type=int, default=3)
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    import torch
    from lkseg_nb import bench, sparse as S
    from lkseg_nb.model import reference_config
    scan = bench.kitti_scan(a.scan)
    if scan is None: sys.exit("profile_model: scan not found (shared/data/semantickitti absent); pass --scan PATH")

    idx, shape = S.scan_voxels(scan, 0.1)
    old = S.CPU_KERNEL
    try:
        S.CPU_KERNEL = 'torch'; km_t = S.build_subm_map(idx, shape, 9)
        S.CPU_KERNEL = 'auto'; km_n = S.build_subm_map(idx, shape, 9)
    finally: S.CPU_KERNEL = old
    same = km_t.counts == km_n.counts and torch.equal(km_t.in_idx, km_n.in_idx) and torch.equal(km_t.out_idx, km_n.out_idx)
    print(f"neighbour search 9³ @ 0.1 m ({km_n.n_in:,} voxels, {km_n.n_pairs:,} pairs): torch path {km_t.build_s:.3f} s, "
          f"native {km_n.build_s:.3f} s{'' if S.native_kernels() else ' (native unavailable: torch both)'}; identical maps: {same}")

    models = bench.model_variants(reference_config(), granularities=('tap',))
    models = {n: models[n] for n in ('naive 9³', 'SDS 0.3 (per tap) + CWS 0.5 compact')}
    batch = bench.scan_batch(scan)
    T = defaultdict(float)
    def timed(name, key):
        f = getattr(S, name)
        def g(*args, **kw):
            t = time.perf_counter(); r = f(*args, **kw); T[key] += time.perf_counter() - t; return r
        setattr(S, name, g)
        return f
    origs = {n: timed(n, k) for n, k in (('_gemm_fwd', 'conv'), ('build_subm_map', 'maps'), ('active_offsets', 'active'))}
    res = {n: defaultdict(list) for n in models}
    try:
        for m in models.values():
            m.eval()
            with torch.no_grad(): m(dict(batch))   # warm-up (native build, allocator)
        for _ in range(a.rounds):
            for n, m in models.items():
                T.clear(); t = time.perf_counter()
                with torch.no_grad(): m(dict(batch))
                tot = time.perf_counter() - t
                for k, v in (('total', tot), ('conv', T['conv']), ('maps', T['maps']), ('active', T['active']),
                             ('rest', tot - T['conv'] - T['maps'] - T['active'])):
                    res[n][k].append(v)
    finally:
        for n, f in origs.items(): setattr(S, n, f)
    med = {n: {k: statistics.median(v) for k, v in d.items()} for n, d in res.items()}
    for n, d in med.items():
        print(f"{n:38s} total {d['total']:.2f} s = conv {d['conv']:.2f} + maps {d['maps']:.2f} + active {d['active']:.3f} + rest {d['rest']:.2f}")
    (nn, dn), (nc, dc) = med.items()
    print(f"ratio compact / naive: total {dc['total'] / dn['total']:.3f}, conv only {dc['conv'] / dn['conv']:.3f} "
          f"(medians of {a.rounds} rounds; the counted nonzero 9³ FLOPs ratio is in bench section 2)")

if __name__ == '__main__': main()
