#!/usr/bin/env python
"""Benchmark of one SubM sparse-conv layer on the real SemanticKITTI scan (plain script: pure mechanism, not a module).

Prints a table and writes `bench_sparse.json` next to this file (atomically). The measurement itself lives in
`lkseg_nb.sparse.benchmark_subm` (documented and tested in nbs/07_sparse.ipynb); this is its command-line wrapper.

    python bench/bench_sparse.py                      # 9^3/5^3/3^3 at 0.05 m, 9^3 at 0.1/0.2 m, 64->64, 3 repeats
    python bench/bench_sparse.py --kernels 9 --voxel-sizes 0.05 --repeats 5 --no-spconv

Figures are medians of `--repeats` rounds; `*_frac_gemm` is the sparse GFLOP/s divided by the dense `torch.mm`
GFLOP/s measured in the same round, taking the faster of the default-thread and the 1-thread GEMM (the machine
is shared and noisy: compare ratios, not seconds).
"""
import argparse, json, os, sys, tempfile
from pathlib import Path

COLS = [('kernel', 'k'), ('voxel_size', 'vox m'), ('voxels', 'voxels'), ('pairs_per_voxel', 'pairs/vox'),
        ('gflop_fwd', 'GFLOP'), ('build_s', 'pairs s'), ('fwd_s', 'fwd s'), ('fwdbwd_s', 'f+b s'),
        ('gemm_default_gflops', 'GEMM GF/s'), ('gemm_1thread_gflops', 'GEMM1 GF/s'), ('fwd_gflops', 'fwd GF/s'), ('fwdbwd_gflops', 'f+b GF/s'),
        ('fwd_frac_gemm', 'fwd/GEMM'), ('fwdbwd_frac_gemm', 'f+b/GEMM'),
        ('spconv_build_fwd_s', 'sp pairs+fwd s'), ('spconv_fwd_s', 'sp fwd s'), ('spconv_fwdbwd_s', 'sp f+b s'),
        ('spconv_fwdbwd_frac_gemm', 'sp f+b/GEMM')]

def table(rows):
    "Plain-text table of benchmark rows."
    cols = [(k, h) for k, h in COLS if any(k in r for r in rows)]
    cells = [[h for _, h in cols]] + [[str(r.get(k, '')) for k, _ in cols] for r in rows]
    w = [max(len(c[i]) for c in cells) for i in range(len(cols))]
    return '\n'.join('  '.join(c[i].rjust(w[i]) for i in range(len(cols))) for c in cells)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--kernels', default='9,5,3', help='kernel sizes at the finest voxel size')
    p.add_argument('--voxel-sizes', default='0.05,0.1,0.2', help='voxel sizes (m); the coarser ones run the first kernel only')
    p.add_argument('--channels', type=int, default=64)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--no-spconv', action='store_true', help='skip the spconv CPU comparison')
    p.add_argument('--out', default=str(Path(__file__).with_suffix('.json')), help='JSON output path')
    a = p.parse_args(argv)
    from tqdm.auto import tqdm
    from lkseg_nb.sparse import benchmark_subm, scan_voxels, _kitti_scan
    scan = a.scan or _kitti_scan()
    if scan is None or not os.path.exists(scan):
        sys.exit(f"bench_sparse: scan not found ({scan or 'shared/data/semantickitti absent'}); pass --scan PATH")
    ks = [int(k) for k in a.kernels.split(',')]
    vs = [float(v) for v in a.voxel_sizes.split(',')]
    jobs = [(vs[0], k) for k in ks] + [(v, ks[0]) for v in vs[1:]]
    rows = []
    for v, k in tqdm(jobs, desc='bench_sparse'):
        idx, shape = scan_voxels(scan, v)
        r = benchmark_subm(idx, shape, kernel_size=k, channels=a.channels, repeats=a.repeats, with_spconv=not a.no_spconv)
        rows.append(dict(voxel_size=v, **r))
    print(table(rows))
    out = Path(a.out)
    fd, tmp = tempfile.mkstemp(dir=out.parent, suffix='.tmp')
    with os.fdopen(fd, 'w') as f: json.dump(dict(scan=str(scan), rows=rows), f, indent=1)
    os.chmod(tmp, 0o644)
    os.replace(tmp, out)
    print(f'wrote {out}')
    return rows

if __name__ == '__main__': main()
