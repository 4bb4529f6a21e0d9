#!/usr/bin/env python
"""The native product's row blocks against its offset split, on the model's own 9³ maps (plain script, print only).

Runs one inference forward of the reference-config model on the real scan to collect its four SubM 9³ neighbour maps
(90k ... 13k voxels), then times the product of one layer on each at the widths the models use (64→64 naive; 64→32
and 32→64 in the CWS-compact blocks), forward and input gradient, alternating the settings of `CPU_ROW_BLOCK`
(0 = the offset split with per-worker buffers; N = blocks of N output rows) in the same process, default thread count.
Prints medians and the median of the paired ratios against the first setting (each trial runs every setting once in
a row, so a slow spell of this shared machine hits them alike).

    python bench/bench_row_blocks.py
    python bench/bench_row_blocks.py --blocks 0,2048,4096,8192 --trials 9 --maps 0,3
"""
import argparse, statistics, sys, time, warnings

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--blocks', default='0,4096', help='CPU_ROW_BLOCK settings, comma-separated; the first is the baseline')
    p.add_argument('--widths', default='64:64,64:32,32:64', help='C_in:C_out, comma-separated')
    p.add_argument('--maps', default='0,1,2,3', help="which of the model's SubM maps (0 = finest)")
    p.add_argument('--trials', type=int, default=7)
    p.add_argument('--no-grad', action='store_true', help='forward only (skip the input gradient)')
    a = p.parse_args(argv)
    warnings.simplefilter('ignore')
    import torch
    from lkseg_nb import bench, sparse as S
    from lkseg_nb.model import reference_config
    scan = bench.kitti_scan(a.scan)
    if scan is None: sys.exit("bench_row_blocks: scan not found (shared/data/semantickitti absent); pass --scan PATH")
    if S.native_kernels() is None: sys.exit("bench_row_blocks: the native kernel is unavailable (LKSEG_NATIVE=0 or no C compiler)")
    blocks = [int(b) for b in a.blocks.split(',')]
    maps, orig = [], S.build_subm_map
    def keep(*args, **kw):
        km = orig(*args, **kw); maps.append(km); return km
    S.build_subm_map = keep
    try:
        model = bench.model_variants(reference_config(), granularities=('tap',))['naive 9³'].eval()
        with torch.no_grad(): model(dict(bench.scan_batch(scan)))
    finally: S.build_subm_map = orig
    old = S.CPU_ROW_BLOCK
    print(f"threads {torch.get_num_threads()}; ms per product (GFLOP/s), median of {a.trials}; ×: median paired ratio to CPU_ROW_BLOCK={blocks[0]}")
    try:
        for i in (int(i) for i in a.maps.split(',')):
            km = maps[i]
            for ci, co in (tuple(int(c) for c in w.split(':')) for w in a.widths.split(',')):
                g = torch.Generator().manual_seed(0)
                x, w, go = torch.randn(km.n_in, ci, generator=g), torch.randn(len(km.counts), ci, co, generator=g) * 0.05, torch.randn(km.n_out, co, generator=g)
                jobs = {'fwd': lambda: S._gemm_fwd(x, w, km, active=None)}
                if not a.no_grad: jobs['gx'] = lambda: S._gemm_bwd(x, w, go, km, need_w=False, active=None)
                T = {(b, j): [] for b in blocks for j in jobs}
                for b in blocks:   # warm-up: block tables (cached on the map), allocator
                    S.CPU_ROW_BLOCK = b
                    for f in jobs.values(): f()
                for _ in range(a.trials):
                    for b in blocks:
                        S.CPU_ROW_BLOCK = b
                        for j, f in jobs.items():
                            t = time.perf_counter(); f(); T[b, j].append(time.perf_counter() - t)
                gf = 2 * km.n_pairs * ci * co / 1e9
                for j in jobs:
                    base = T[blocks[0], j]
                    cells = '  '.join(f"{b}: {statistics.median(T[b, j]) * 1e3:5.0f} ({gf / statistics.median(T[b, j]):4.0f}) ×{statistics.median(t / u for t, u in zip(T[b, j], base)):.2f}"
                                      for b in blocks)
                    print(f"map {i} {km.n_in:>6} voxels {km.n_pairs:>9,} pairs {ci:>2}→{co:<2} {j:>3}   {cells}", flush=True)
    finally: S.CPU_ROW_BLOCK = old

if __name__ == '__main__': main()
