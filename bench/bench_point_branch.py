#!/usr/bin/env python
"""SPVBlock point branch before/after: per-point `layer_out` + point scatter-means vs per-voxel (plain script, print only).

On the real scan at the reference config (voxels at scales 1, 2, 4, 8, 16), for each of the four SPVBlocks, times the
pieces that changed, with random features of the real sizes (C = 64) instead of a whole forward (~10 s):
  before: point_encoder with layer_out on the N points + scatter_mean into the next voxels,
          scatter_mean(v_fea[last_inv], cur_inv) of the voxel branch (the reference's per-point formulas), and the
          block's per-point output p_fea[cur_inv] (advanced indexing);
  after:  point_encoder with layer_out on the M voxels + pool_voxels, pool_voxels(v_fea), sharing one
          voxel_pool_map per scale pair (timed separately: it is built once per batch), and p_fea.index_select.
Forward under no_grad, and forward+backward (a scalar loss). One thread and `time.thread_time` by default (min of
--repeats), so other processes on the machine disturb the figures less.

    python bench/bench_point_branch.py
    python bench/bench_point_branch.py --threads 2 --repeats 9
"""
import argparse, sys, time

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--repeats', type=int, default=5)
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args(argv)
    import torch
    from lkseg_nb import bench
    from lkseg_nb.model import (build_model, reference_config, scatter_mean, voxel_pool_map, pool_voxels, point_encoder)
    scan = bench.kitti_scan(a.scan)
    if scan is None: sys.exit("bench_point_branch: scan not found (shared/data/semantickitti absent); pass --scan PATH")
    torch.set_num_threads(a.threads)
    clock = time.thread_time if a.threads == 1 else time.perf_counter
    model = build_model(reference_config())
    batch = model.voxelize(bench.scan_batch(scan))
    C, N = model.hiden_size, len(batch['points'])

    def old_p_enc(pe, features, coors, coors_inv, next_inv, n):
        "The reference's formula: layer_out on the N points, then the mean over the points of each next voxel."
        pooled, inv = pe.downsample(coors, features)
        out = torch.cat([pe.layer_in(features), pe.PPmodel(pooled)[inv]], 1)
        return scatter_mean(pe.layer_out(out[coors_inv]), next_inv, n)

    def best(f):
        ts = []
        for _ in range(a.repeats):
            t = clock(); f(); ts.append(clock() - t)
        return min(ts)

    print(f"scan {scan.name}: {N} points; voxels " +
          ', '.join(f"s{s}={len(batch[f'scale_{s}']['coors'])}" for s in [1] + model.scale_list) +
          f"; C={C}; {a.threads} thread(s); min of {a.repeats}")
    head = f"{'block':>5s} {'pair':>6s} {'M':>7s} {'rows':>7s} {'nested':>6s} {'map ms':>7s} | {'fwd before':>10s} {'fwd after':>9s} | {'f+b before':>10s} {'f+b after':>9s}"
    print(head); print('-' * len(head))
    tot = dict(map=0., fb=0., fa=0., bb=0., ba=0.)
    g = torch.Generator().manual_seed(0)
    for i, blk in enumerate(model.spv_enc):
        last, cur = batch[f'scale_{blk.last_scale}'], batch[f'scale_{blk.scale}']
        M, n = len(last['coors']), len(cur['coors'])
        li, ci, co = last['coors_inv'], cur['coors_inv'], last['coors']
        pe = blk.p_enc.train()
        x, v = torch.randn(M, C, generator=g), torch.randn(M, C, generator=g)
        w, wp = torch.randn(n, C, generator=g), torch.randn(N, C, generator=g)
        pm = voxel_pool_map(li, ci, M, n)
        t_map = best(lambda: voxel_pool_map(li, ci, M, n))

        def before():
            p_fea = old_p_enc(pe, x + v, co, li, ci, n)
            return p_fea + scatter_mean(v[li], ci, n), p_fea[ci]
        def after():
            p_fea = pe(x + v, co, li, ci, n, pm)
            return p_fea + pool_voxels(v, pm), p_fea.index_select(0, ci)
        with torch.no_grad():
            err = max(float((b - a).abs().max() / b.abs().max()) for b, a in zip(before(), after()))
            fb, fa = best(before), best(after)
        x.requires_grad_(True); v.requires_grad_(True)
        def fwd_bwd(f):
            def run():
                pe.zero_grad(); x.grad = v.grad = None
                nxt, pts = f()
                ((nxt * w).sum() + (pts * wp).sum()).backward()
            return run
        bb, ba = best(fwd_bwd(before)), best(fwd_bwd(after))
        rows = M if pm['src'] is None else len(pm['src'])
        print(f"{i:5d} {blk.last_scale:>2d}→{blk.scale:<3d} {M:7d} {rows:7d} {str(pm['nested']):>6s} {t_map * 1e3:7.1f} | "
              f"{fb * 1e3:8.1f}ms {fa * 1e3:7.1f}ms | {bb * 1e3:8.1f}ms {ba * 1e3:7.1f}ms   (max rel diff {err:.1e})")
        for k, t in zip(('map', 'fb', 'fa', 'bb', 'ba'), (t_map, fb, fa, bb, ba)): tot[k] += t
    print('-' * len(head))
    print(f"{'total':>5s} {'':>6s} {'':>7s} {'':>7s} {'':>6s} {tot['map'] * 1e3:7.1f} | {tot['fb'] * 1e3:8.1f}ms {tot['fa'] * 1e3:7.1f}ms | "
          f"{tot['bb'] * 1e3:8.1f}ms {tot['ba'] * 1e3:7.1f}ms")
    print(f"forward: {tot['fb'] * 1e3:.0f} ms -> {tot['fa'] * 1e3:.0f} ms + maps {tot['map'] * 1e3:.0f} ms once per batch "
          f"({tot['fb'] / (tot['fa'] + tot['map']):.1f}x); forward+backward: {tot['bb'] * 1e3:.0f} ms -> "
          f"{tot['ba'] * 1e3:.0f} ms + maps ({tot['bb'] / (tot['ba'] + tot['map']):.1f}x)")

if __name__ == '__main__': main()
