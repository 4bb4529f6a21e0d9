"""Benchmark of the train loader of `lkseg_nb.data_builder` (plain script: pure measurement, no library code).

Prints scans/s of the train loader at full augmentation (dropout, rotation, flip, scale, translation, instance mix,
range-image normals) for num_workers 0 and 2 (and, for the share of the normals, num_workers 0 without them), on
  * the real SemanticKITTI scan 00/000000 repeated (symlinked into a temporary folder, never copied into the repo;
    skipped with a reason where the shared data is absent),
  * synthetic LiDAR-like scans written into a temporary folder (or a folder given with --sim-dir, e.g. the output of
    `python -m lkseg_nb.synth`).

Usage:  python bench/bench_loader.py [--scans 16] [--workers 0 2] [--sim-dir PATH]
Timings on shared machines are noisy: compare figures of one run only.
"""
import argparse, os, shutil, tempfile, time, warnings
from pathlib import Path
import numpy as np
import torch
from lkseg_nb.config import shared_path
from lkseg_nb.data import write_scan
from lkseg_nb.data_builder import build

FULL_AUG = dict(rotate_aug=True, flip_aug=True, scale_aug=True, transform_aug=True, dropout_aug=True, mix_aug=True,
                polarmix_aug=False, SphereCrop=False, ShufflePoint=False, d_point_num=-1)

def synthetic_scan(seed: int):
    "A LiDAR-like scan (64 beams x 1800 azimuths): ground (road), a street canyon of walls (building), parked cars."
    r = np.random.default_rng(seed)
    el = np.radians(np.linspace(3, -25, 64))[:, None]
    az = np.linspace(-np.pi, np.pi, 1800, endpoint=False)[None] + r.uniform(0, 0.003)
    el, az = np.broadcast_arrays(el, az)
    d = np.stack([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)], -1).reshape(-1, 3)
    t = np.full(len(d), np.inf); lab = np.zeros(len(d), np.uint32)
    with np.errstate(divide='ignore', invalid='ignore'):
        tg = np.where(d[:, 2] < 0, -1.73 / d[:, 2], np.inf)                   # ground z = -1.73
        tw = np.where(np.abs(d[:, 1]) > 1e-6, 8.0 / np.abs(d[:, 1]), np.inf)  # walls y = +-8
    t, lab = np.where(tg < t, tg, t), np.where(tg < t, 40, lab)
    hit_w = (tw < t) & (np.abs(d[:, 2] * tw) < 6)
    t, lab = np.where(hit_w, tw, t), np.where(hit_w, 50, lab)
    for k, cx in enumerate(r.uniform(-40, 40, 6)):                            # cars: boxes along y = +-5
        cy = 5.0 * (1 if k % 2 else -1)
        with np.errstate(divide='ignore', invalid='ignore'):
            tc = (cy - np.sign(cy) * 1.0) / d[:, 1]
        p = d * tc[:, None]
        hit = (tc > 0) & (tc < t) & (np.abs(p[:, 0] - cx) < 2.2) & (p[:, 2] < -0.2)
        t, lab = np.where(hit, tc, t), np.where(hit, 10 | (k + 1) << 16, lab)
    ok = np.isfinite(t) & (t < 80)
    xyz = d[ok] * t[ok, None] + r.normal(0, 0.01, (ok.sum(), 3))
    return np.c_[xyz, r.uniform(0, 1, ok.sum())].astype(np.float32), lab[ok].astype(np.uint32)

def bench(data_root: Path, n_scans: int, workers: int, volume, normals: bool = True) -> dict:
    lo, hi = volume
    cfg = {'min_volume_space': lo, 'max_volume_space': hi, 'label_mapping': '',
           'train_data_loader': {'data_path': str(data_root), 'imageset': 'train', 'batch_size': 1,
                                 'num_workers': workers, **FULL_AUG}}
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')   # absent train sequences
        tr, _, sampler = build(cfg, {'seed': 0})
    tr.dataset.normals = normals
    sampler.set_epoch(0)
    t0 = time.perf_counter(); n = pts = 0; first = None
    for b in tr:
        if first is None: first = time.perf_counter() - t0
        n += b['batch_size']; pts += len(b['points'])
        if n >= n_scans: break
    dt = time.perf_counter() - t0
    return {'workers': workers, 'normals': normals, 'scans': n, 'seconds': round(dt, 2), 'scans/s': round(n / dt, 2),
            'first batch s': round(first, 2), 'points/scan': pts // max(n, 1)}

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--scans', type=int, default=16, help='scans loaded per measurement')
    ap.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    ap.add_argument('--sim-dir', default=None, help='folder holding sequences/ of simulated scans (optional)')
    a = ap.parse_args()
    print(f"torch threads {torch.get_num_threads()}, cpu count {os.cpu_count()}")
    tmp = Path(tempfile.mkdtemp(prefix='bench_loader_'))
    try: run(a, tmp)
    finally: shutil.rmtree(tmp, ignore_errors=True)

def run(a, tmp: Path):
    kitti = shared_path('data', 'semantickitti')
    if kitti is None: print("real scan: SKIP (shared SemanticKITTI sample not found)")
    else:
        real = tmp / 'real' / 'sequences' / '00'
        (real / 'velodyne').mkdir(parents=True); (real / 'labels').mkdir()
        for i in range(a.scans):   # symlinks, never copies of the licensed data
            os.symlink(kitti / 'sequences/00/velodyne/000000.bin', real / 'velodyne' / f'{i:06d}.bin')
            os.symlink(kitti / 'sequences/00/labels/000000.label', real / 'labels' / f'{i:06d}.label')
        vol = ([-50, -50, -4], [50, 50, 2])
        for w in a.workers: print('real scan 00/000000 repeated:', bench(tmp / 'real', a.scans, w, vol))
        print('real scan 00/000000 repeated:', bench(tmp / 'real', a.scans, 0, vol, normals=False))
    if a.sim_dir: sim = Path(a.sim_dir)
    else:
        sim = tmp / 'synthetic'
        for i in range(a.scans): write_scan(sim, 0, i, *synthetic_scan(i))
    for w in a.workers: print(f'synthetic ({sim}):', bench(sim, a.scans, w, ([-50, -50, -4], [50, 50, 2])))
    print(f'synthetic ({sim}):', bench(sim, a.scans, 0, ([-50, -50, -4], [50, 50, 2]), normals=False))

if __name__ == '__main__':
    main()
