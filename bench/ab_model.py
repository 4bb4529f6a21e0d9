#!/usr/bin/env python
"""Whole-model inference, this tree against a git revision: processes alternate old/new, same-run ratios (plain script, print only).

The package of --rev is extracted (`git archive`) into a temporary folder; then --pairs times, one process runs the old
package and one the new (the order alternating), each timing --rounds rounds of inference (no_grad, eval) of the naive 9³
model and the per-tap SDS 0.3 + CWS 0.5 compact export of `python -m lkseg_nb.bench --only model` (same seed, same
weights, the reference config on the real scan), each round the faster of 2 passes. Prints every process's times, then
medians: each model new/old, and compact/naive for old and new (the target row of bench section 2).
Separate processes, so the allocator and caches start alike for both; alternating, so a slow spell of the machine hits both.

    python bench/ab_model.py --rev HEAD~1 [--pairs 3] [--rounds 3]
"""
import argparse, io, json, statistics, subprocess, sys, tarfile, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAIVE, COMPACT = 'naive 9³', 'SDS 0.3 (per tap) + CWS 0.5 compact'

def child(tree: str, rounds: int, scan):
    "Time the two models with the package found in `tree`; print one JSON line {model: [seconds per round]}."
    sys.path.insert(0, tree)
    import warnings; warnings.simplefilter('ignore')
    import torch
    from lkseg_nb import bench
    from lkseg_nb.model import reference_config
    if not bench.__file__.startswith(tree): sys.exit(f"ab_model: imported {bench.__file__}, not the package in {tree}")
    path = bench.kitti_scan(scan)
    if path is None: sys.exit("ab_model: scan not found (shared/data/semantickitti absent); pass --scan PATH")
    models = bench.model_variants(reference_config(), granularities=('tap',))
    models = {n: models[n].eval() for n in (NAIVE, COMPACT)}
    batch = bench.scan_batch(path)
    with torch.no_grad():
        for m in models.values(): m(dict(batch))   # warm-up: native build, maps, allocator
    out = {n: [] for n in models}
    for r in range(rounds):
        for n in (list(models) if r % 2 == 0 else list(models)[::-1]):
            ts = []
            for _ in range(2):
                t = time.perf_counter()
                with torch.no_grad(): models[n](dict(batch))
                ts.append(time.perf_counter() - t)
            out[n].append(min(ts))
    print(json.dumps(out))

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--rev', default='HEAD~1', help='git revision to compare against (default HEAD~1)')
    p.add_argument('--pairs', type=int, default=3, help='old/new process pairs')
    p.add_argument('--rounds', type=int, default=3, help='timed rounds per process')
    p.add_argument('--scan', default=None, help='.bin scan (default: shared SemanticKITTI 00/000000.bin)')
    p.add_argument('--child', default=None, help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child: return child(a.child, a.rounds, a.scan)
    scan = a.scan
    if scan is None:   # resolve here: the extracted old tree has no ../shared beside it
        sys.path.insert(0, str(ROOT))
        from lkseg_nb import bench
        scan = bench.kitti_scan(None)
        if scan is None: sys.exit("ab_model: scan not found (shared/data/semantickitti absent); pass --scan PATH")
    try: tar = subprocess.run(['git', '-C', str(ROOT), 'archive', a.rev, 'lkseg_nb'], check=True, capture_output=True).stdout
    except subprocess.CalledProcessError as e: sys.exit(f"ab_model: git archive {a.rev} failed: {e.stderr.decode().strip()}")
    rev = subprocess.run(['git', '-C', str(ROOT), 'rev-parse', '--short', a.rev], capture_output=True, text=True).stdout.strip()
    res = {'old': {NAIVE: [], COMPACT: []}, 'new': {NAIVE: [], COMPACT: []}}
    with tempfile.TemporaryDirectory(prefix='ab_model_') as tmp:
        with tarfile.open(fileobj=io.BytesIO(tar)) as tf:   # 'data' filter: plain files under tmp only (where available)
            tf.extractall(tmp, **({'filter': 'data'} if hasattr(tarfile, 'data_filter') else {}))
        trees = {'old': tmp, 'new': str(ROOT)}
        for i in range(a.pairs):
            for which in (('old', 'new') if i % 2 == 0 else ('new', 'old')):
                r = subprocess.run([sys.executable, __file__, '--child', trees[which], '--rounds', str(a.rounds), '--scan', str(scan)],
                                   capture_output=True, text=True)
                if r.returncode: sys.exit(f"ab_model: the {which} process failed:\n{r.stderr[-3000:]}")
                t = json.loads(r.stdout.strip().splitlines()[-1])
                for n in res[which]: res[which][n] += t[n]
                print(f"pair {i + 1} {which:3s}: " + '; '.join(f"{n} " + ' '.join(f"{x:.2f}" for x in t[n]) + ' s' for n in t), flush=True)
    med = statistics.median
    print(f"\nold = {a.rev} ({rev}), new = this tree; {a.pairs} process pairs x {a.rounds} rounds, medians:")
    for n in (NAIVE, COMPACT):
        print(f"  {n}: old {med(res['old'][n]):.3f} s, new {med(res['new'][n]):.3f} s, new/old {med(res['new'][n]) / med(res['old'][n]):.3f}")
    for w in ('old', 'new'):
        rr = [c / b for c, b in zip(res[w][COMPACT], res[w][NAIVE])]
        print(f"  compact / naive, {w}: median {med(rr):.3f} (range {min(rr):.3f}-{max(rr):.3f}, {sum(x <= 0.5 for x in rr)} of {len(rr)} rounds <= 0.5)")

if __name__ == '__main__': main()
