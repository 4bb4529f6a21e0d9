#!/usr/bin/env python
"""Where one inference forward spends its time: 9³ convs vs neighbour maps vs everything else (plain script, print only).

On the real scan at the reference config, naive 9³ and per-tap SDS 0.3 + CWS 0.5 compact (the models of
`python -m lkseg_nb.bench --only model`), interleaved for --rounds rounds, medians:
  conv  = time inside the sparse-conv products (`lkseg_nb.sparse._gemm_fwd`, including the skipped-offset check),
  maps  = time building SubM neighbour maps (`build_subm_map`),
  active = the all-zero-offset check (`active_offsets`, once per conv call),
  rest  = everything else (voxelization, stem, point branch, BN/activations, 1x1 convs, head).
Also times the neighbour search on its own, torch path vs native, at 0.1 m (same pairs; checked). --per-layer adds,
per sparse-conv product, its weight shape, pairs done (skipped offsets excluded), median ms and GFLOP/s, and each
model's conv GFLOP/s overall (is the compact model's conv as efficient as the naive one's?). --parts adds where the
whole forward goes, by module (each piece timed only where no other timed piece is running, so nothing counts twice):
  voxelize, stem (`voxel_3d_generator`), 9³ branch (the `layers` of every residual block: the two k³ convs, their
  neighbour maps, BN and LeakyReLU), 1×1 branch (`layers_in`), point branch (`p_enc`, its pooling included),
  voxel pooling (`pool_voxels` of the voxel branch), head (`head_groups` + `classifier`), other (the rest: residual
  adds, pool maps, sparse-tensor bookkeeping, ...).

    python bench/profile_model.py [--rounds 3] [--per-layer] [--parts]
"""
import argparse, statistics, sys, time, warnings
from collections import defaultdict

PARTS = ('voxelize', 'stem', '9³ branch', '1×1 branch', 'point branch', 'voxel pooling', 'head')

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--rounds', type=int, default=3)
    p.add_argument('--per-layer', action='store_true', help='also time every sparse-conv product')
    p.add_argument('--parts', action='store_true', help='also split the forward by module (stem, 9³ branch, point branch, head, ...)')
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
    calls = []   # --per-layer: (weight shape, pairs done, seconds) of every product in the current pass
    if a.per_layer:
        inner = S._gemm_fwd
        def per_layer(x, w, km, n_threads=None, active='auto'):
            if isinstance(active, str): active = S.active_offsets(w)
            t = time.perf_counter(); r = inner(x, w, km, n_threads, active)
            calls.append((tuple(w.shape), sum(S._active_counts(km.counts, active)), time.perf_counter() - t))
            return r
        S._gemm_fwd = per_layer
    P, active_part = defaultdict(float), []   # --parts: seconds per piece in the current pass; the piece running now
    def part(fn, key):
        def g(*args, **kw):
            if active_part: return fn(*args, **kw)   # inside another timed piece: counted there
            active_part.append(key); t = time.perf_counter()
            try: return fn(*args, **kw)
            finally: P[key] += time.perf_counter() - t; active_part.pop()
        return g
    patched = []
    if a.parts:
        import lkseg_nb.model as M
        for name, key in (('voxelize', 'voxelize'), ('head_groups', 'head'), ('pool_voxels', 'voxel pooling')):
            patched.append((M, name, getattr(M, name))); setattr(M, name, part(getattr(M, name), key))
        for m in models.values():
            m.voxel_3d_generator.forward = part(m.voxel_3d_generator.forward, 'stem')
            m.classifier.forward = part(m.classifier.forward, 'head')
            for blk in m.spv_enc:
                blk.p_enc.forward = part(blk.p_enc.forward, 'point branch')
                for rb in blk.v_enc:
                    rb.layers.forward = part(rb.layers.forward, '9³ branch')
                    rb.layers_in.forward = part(rb.layers_in.forward, '1×1 branch')
    parts = {n: defaultdict(list) for n in models}
    layers = {n: defaultdict(list) for n in models}
    res = {n: defaultdict(list) for n in models}
    try:
        for m in models.values():
            m.eval()
            with torch.no_grad(): m(dict(batch))   # warm-up (native build, allocator)
        for _ in range(a.rounds):
            for n, m in models.items():
                T.clear(); calls.clear(); P.clear(); t = time.perf_counter()
                with torch.no_grad(): m(dict(batch))
                tot = time.perf_counter() - t
                if a.parts:
                    for k in PARTS: parts[n][k].append(P[k])
                    parts[n]['other'].append(tot - sum(P.values()))
                for i, c in enumerate(calls): layers[n][i].append(c)
                for k, v in (('total', tot), ('conv', T['conv']), ('maps', T['maps']), ('active', T['active']),
                             ('rest', tot - T['conv'] - T['maps'] - T['active'])):
                    res[n][k].append(v)
    finally:
        for n, f in origs.items(): setattr(S, n, f)
        for mod, name, f in patched: setattr(mod, name, f)
    med = {n: {k: statistics.median(v) for k, v in d.items()} for n, d in res.items()}
    for n, d in med.items():
        print(f"{n:38s} total {d['total']:.2f} s = conv {d['conv']:.2f} + maps {d['maps']:.2f} + active {d['active']:.3f} + rest {d['rest']:.2f}")
    if a.parts:
        print(f"by module (medians of {a.rounds} rounds, seconds):")
        print(f"  {'':38s} " + ' '.join(f"{k:>13s}" for k in PARTS + ('other',)))
        for n, d in parts.items():
            print(f"  {n:38s} " + ' '.join(f"{statistics.median(d[k]):13.3f}" for k in PARTS + ('other',)))
    for n, d in layers.items():
        if not d: continue
        print(f"{n}: per sparse-conv product (medians of {a.rounds} rounds)")
        fl_all = t_all = 0.0
        for i, cs in d.items():
            shape, pairs, _ = cs[0]; t = statistics.median(c[2] for c in cs); fl = 2 * pairs * shape[1] * shape[2]
            fl_all += fl; t_all += t
            print(f"  {i:2d} {str(shape):16s} {pairs:10,} pairs {t * 1e3:7.1f} ms {fl / t / 1e9:6.1f} GFLOP/s")
        print(f"  all products: {t_all:.2f} s, {fl_all / 1e9:.1f} GFLOP, {fl_all / t_all / 1e9:.1f} GFLOP/s")
    (nn, dn), (nc, dc) = med.items()
    print(f"ratio compact / naive: total {dc['total'] / dn['total']:.3f}, conv only {dc['conv'] / dn['conv']:.3f} "
          f"(medians of {a.rounds} rounds; the counted nonzero 9³ FLOPs ratio is in bench section 2)")

if __name__ == '__main__': main()
