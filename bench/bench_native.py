#!/usr/bin/env python
"""Native CPU kernel vs torch gather-GEMM-scatter, per pair, on the real scan (plain script: pure mechanism, not a module).

Both paths of `lkseg_nb.sparse` in the same process, one thread (`time.thread_time`, min of `--repeats`, so another
process on the machine disturbs the figures less): forward, input gradient, weight gradient of one 9³ SubM layer.
The weight-gradient column times the native kernel itself (`_native_wgrad`), which `_gemm_bwd` uses at every width
it supports (8-64 columns) since the chunked kernel for 24-64 columns.

    python bench/bench_native.py                          # 0.2 m/16 ch, 0.4 m/16, 0.2 m/32, 0.05 m/64
    python bench/bench_native.py --cases 0.2:16 --repeats 9
"""
import argparse, os, sys, time

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--cases', default='0.2:16,0.4:16,0.2:32,0.05:64', help='voxel_size:channels, comma-separated')
    p.add_argument('--kernel', type=int, default=9)
    p.add_argument('--repeats', type=int, default=7)
    a = p.parse_args(argv)
    import torch
    import lkseg_nb.sparse as S
    scan = a.scan or S._kitti_scan()
    if scan is None or not os.path.exists(scan):
        sys.exit(f"bench_native: scan not found ({scan or 'shared/data/semantickitti absent'}); pass --scan PATH")
    if S.native_kernels() is None: sys.exit("bench_native: the native kernel is unavailable (LKSEG_NATIVE=0 or no C compiler)")
    torch.set_num_threads(1)
    def best(f):
        ts = []
        for _ in range(a.repeats):
            t = time.thread_time(); f(); ts.append(time.thread_time() - t)
        return min(ts)
    print(f"{'voxel':>6} {'ch':>3} {'pairs':>9}   ns/pair torch → native (speed-up): forward | input grad | weight grad")
    for case in a.cases.split(','):
        vox, C = float(case.split(':')[0]), int(case.split(':')[1])
        km = S.build_subm_map(*S.scan_voxels(scan, vox), a.kernel)
        K = len(km.counts)
        x, w, go = torch.randn(km.n_in, C), torch.randn(K, C, C) * 0.05, torch.randn(km.n_out, C)
        jobs = {'fwd': lambda: S._gemm_fwd(x, w, km, 1), 'gx': lambda: S._gemm_bwd(x, w, go, km, need_w=False, n_threads=1),
                'gw': lambda: S._gemm_bwd(x, w, go, km, need_x=False, n_threads=1)}
        res = {}
        for mode in ('torch', 'auto'):
            S.CPU_KERNEL = mode
            if mode == 'auto':   # the native weight grad itself (what `_gemm_bwd` uses at 8-64 columns)
                jobs['gw'] = lambda: S._native_wgrad(x, go, km, 1)
            res[mode] = {k: best(f) / km.n_pairs * 1e9 for k, f in jobs.items()}
        S.CPU_KERNEL = 'auto'
        cells = ' | '.join(f"{res['torch'][k]:6.0f} → {res['auto'][k]:5.0f} ({res['torch'][k] / res['auto'][k]:.2f}×)" for k in jobs)
        print(f"{vox:>6} {C:>3} {km.n_pairs:>9}   {cells}")

if __name__ == '__main__': main()
