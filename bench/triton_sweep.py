#!/usr/bin/env python
"""The Triton route on one 9³ SubM layer of the real scan: tile rows x warps x pipeline stages, beside the other CUDA routes.

    python bench/triton_sweep.py [--scan PATH] [--voxel 0.05] [--channels 64] [--reps 20] [--quick]

For every setting: forward ms in float32 and float16 (CUDA events, median of --reps after warm-ups), the step-table
build ms (once per tile size), the fill (rows with a pair / rows multiplied), and the largest difference from the
batched-GEMM route (same inputs, float32). Beside them, the same layer on the batched-GEMM route and on spconv (if
installed). A plain script for a GPU machine (`scripts/device_check.sh` runs it first), not a benchmark row; it picks
nothing by itself. On CPU it runs only under TRITON_INTERPRET=1 with --quick (a tiny layer, to check the script).
"""
import argparse, itertools, os, statistics, sys, time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: the shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--voxel', type=float, default=0.05, help='voxel size in m (0.05 = the model\'s finest scale)')
    p.add_argument('--channels', type=int, default=64)
    p.add_argument('--reps', type=int, default=20)
    p.add_argument('--quick', action='store_true', help='one setting per axis (and on CPU a tiny random layer)')
    a = p.parse_args(argv)
    import torch
    import lkseg_nb.sparse as S
    from lkseg_nb.bench import kitti_scan
    cuda = torch.cuda.is_available()
    if not S.triton_available(): sys.exit('triton_sweep: triton is not installed')
    if not cuda and not (a.quick and os.environ.get('TRITON_INTERPRET') == '1'):
        sys.exit('triton_sweep: needs CUDA (on CPU: TRITON_INTERPRET=1 and --quick, to check the script only)')
    dev = torch.device('cuda' if cuda else 'cpu')
    if cuda:
        scan = kitti_scan(a.scan)
        if scan is None: sys.exit('triton_sweep: scan not found (pass --scan PATH)')
        idx, shape = S.scan_voxels(scan, a.voxel)
        where = f"{os.path.basename(scan)} at {a.voxel} m"
    else:
        st = S.random_sparse_tensor(1, (12, 12, 12), occupancy=0.1, channels=a.channels, seed=0)
        idx, shape, where = st.indices, st.spatial_shape, 'a tiny random layer (CPU interpreter)'
    idx = idx.to(dev)
    C = a.channels
    km = S.build_subm_map(idx, shape, 9)
    g = torch.Generator(device='cpu').manual_seed(0)
    x = torch.randn(km.n_in, C, generator=g).to(dev)
    w = (torch.randn(len(km.counts), C, C, generator=g) / (C * 27) ** 0.5).to(dev)

    def timed(f):
        for _ in range(3): f()
        if not cuda:
            t = time.perf_counter(); f(); return [(time.perf_counter() - t) * 1e3]
        ts = []
        for _ in range(a.reps):
            e0, e1 = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            e0.record(); f(); e1.record(); torch.cuda.synchronize(); ts.append(e0.elapsed_time(e1))
        return ts

    ref = S._grouped_fwd(x, w, km)
    print(f"9³ SubM {C}→{C} on {where}: {km.n_in:,} voxels, {km.n_pairs:,} pairs, "
          f"{2 * km.n_pairs * C * C / 1e9:.2f} GFLOP; {torch.cuda.get_device_name(0) if cuda else 'CPU'}")
    med = lambda ts: statistics.median(ts)
    print(f"batched GEMMs: fp32 {med(timed(lambda: S._grouped_fwd(x, w, km))):.2f} ms, "
          f"fp16 {med(timed(lambda: S._grouped_fwd(x.half(), w.half(), km))):.2f} ms")
    if cuda and S.spconv_available():
        conv = S.SubMConv3d(C, C, 9, backend='spconv', indice_key='s').to(dev)
        with torch.no_grad():
            conv.weight.copy_(w.permute(2, 0, 1).reshape(conv.weight.shape))
            xs = S.SparseTensor(x, idx, shape, 1)
            conv(xs)   # spconv builds its pairs once (cached in the tensor's dict)
            print(f"spconv ({S.SPCONV_CUDA_ALGO}): fp32 {med(timed(lambda: conv(xs))):.2f} ms "
                  f"(max |Δ| vs batched {float((conv(xs).features - ref).abs().max()):.1e})")
    keep = (S.TRITON_BLOCK_M, S.TRITON_NUM_WARPS, S.TRITON_NUM_STAGES)
    bms, warps, stages = ((32,), (4,), (3,)) if a.quick else ((16, 32, 64, 128), (4, 8), (2, 3, 4))
    built = {}
    try:
        for bm, nw, ns in itertools.product(bms, warps, stages):
            S.TRITON_BLOCK_M, S.TRITON_NUM_WARPS, S.TRITON_NUM_STAGES = bm, nw, ns
            if bm not in built:
                if cuda: torch.cuda.synchronize()
                t = time.perf_counter(); fill = S.tile_stats(km)['fill']
                if cuda: torch.cuda.synchronize()
                built[bm] = ((time.perf_counter() - t) * 1e3, fill)
            try:
                d = float((S._tile_conv(x, w, km) - ref).abs().max())
                t32, t16 = med(timed(lambda: S._tile_conv(x, w, km))), med(timed(lambda: S._tile_conv(x.half(), w.half(), km)))
                print(f"triton BM {bm:3d} warps {nw} stages {ns}: fp32 {t32:7.2f} ms, fp16 {t16:7.2f} ms; "
                      f"table {built[bm][0]:6.1f} ms, fill {built[bm][1]:.3f}; max |Δ| vs batched {d:.1e}", flush=True)
            except Exception as e:
                print(f"triton BM {bm:3d} warps {nw} stages {ns}: FAILED {type(e).__name__}: {str(e)[:300]}", flush=True)
    finally: S.TRITON_BLOCK_M, S.TRITON_NUM_WARPS, S.TRITON_NUM_STAGES = keep


if __name__ == '__main__': main()
