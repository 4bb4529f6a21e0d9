#!/usr/bin/env python
"""The native kernel's software prefetch on / off, on the real scan (plain script, print only).

Builds the native library twice in this process, as shipped (prefetch `PFD` 16 pairs ahead) and with `PFD 0`
(no prefetch; the kernels are otherwise identical), and times the products of one 9³ SubM layer at the model's
widths, alternating the two builds, default thread count, min of `--repeats` (wall time: this is how the model runs).

    python bench/bench_prefetch.py
    python bench/bench_prefetch.py --cases 0.1:64:32 --repeats 7
"""
import argparse, ctypes, os, sys, tempfile, time
from pathlib import Path

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--cases', default='0.1:64:64,0.1:64:32,0.1:32:64,0.1:32:32,0.2:16:16',
                   help='voxel_size:C_in:C_out, comma-separated')
    p.add_argument('--repeats', type=int, default=5)
    a = p.parse_args(argv)
    import torch
    import lkseg_nb.sparse as S
    scan = a.scan or S._kitti_scan()
    if scan is None or not os.path.exists(scan):
        sys.exit(f"bench_prefetch: scan not found ({scan or 'shared/data/semantickitti absent'}); pass --scan PATH")
    on = S.native_kernels()
    if on is None: sys.exit("bench_prefetch: the native kernel is unavailable (LKSEG_NATIVE=0 or no C compiler)")
    src = S._NATIVE_SRC
    try:
        with tempfile.TemporaryDirectory() as d:
            S._NATIVE_SRC = '#define PFD 0\n' + src
            off = ctypes.CDLL(str(S._build_native(Path(d))))
            for n in ('lk_pairs_mm', 'lk_pairs_wgrad', 'lk_subm_pairs', 'lk_pairs_mm_blocks', 'lk_row_blocks', 'lk_active'):
                getattr(off, n).argtypes, getattr(off, n).restype = getattr(on, n).argtypes, getattr(on, n).restype
    finally: S._NATIVE_SRC = src
    print(f"threads {torch.get_num_threads()}; ms per product, no prefetch → prefetch (speed-up)")
    print(f"{'voxel':>6} {'in→out':>7} {'pairs':>9}   forward | input grad | weight grad")
    for case in a.cases.split(','):
        v, ci, co = case.split(':'); v, ci, co = float(v), int(ci), int(co)
        km = S.build_subm_map(*S.scan_voxels(scan, v), 9)
        x, w, go = torch.randn(km.n_in, ci), torch.randn(len(km.counts), ci, co) * 0.05, torch.randn(km.n_out, co)
        jobs = {'fwd': lambda: S._gemm_fwd(x, w, km, active=None),
                'gx': lambda: S._gemm_bwd(x, w, go, km, need_w=False, active=None)}
        jobs['gw'] = lambda: S._gemm_bwd(x, w, go, km, need_x=False)   # native at every width 8-64
        best = {}
        for _ in range(a.repeats):
            for name, lib in (('off', off), ('on', on)):
                S._NATIVE['lib'] = lib
                for k, f in jobs.items():
                    t = time.perf_counter(); f(); dt = time.perf_counter() - t
                    best[name, k] = min(best.get((name, k), dt), dt)
        S._NATIVE['lib'] = on
        cells = ' | '.join(f"{best['off', k] * 1e3:5.0f} → {best['on', k] * 1e3:5.0f} ({best['off', k] / best['on', k]:.2f}×)" for k in jobs)
        print(f"{v:>6} {ci:>3}→{co:<3} {km.n_pairs:>9}   {cells}")

if __name__ == '__main__': main()
