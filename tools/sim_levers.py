"""Measure one simulator / training lever against real SemanticKITTI scans: simulate, train on simulated scans only,
evaluate on the real scans of the shared folder, and record the result in nbs/results/sim_levers.json.

    python tools/sim_levers.py NAME [--cols 512] [--train-scans 40] [--sensor key=value ...] [--rules key=value ...]
                               [--zero-remission] [--steps-epochs N] [config overrides key=value ...]

The real scans are read at evaluation time only (from `lkseg_nb.config.shared_path('data', 'semantickitti')` or
--real), through a temporary folder that links their sequence in as the val split; nothing of them is copied into the
repository and nothing is fitted to them. mIoU is reported over the classes present in the real ground truth
('miou_present') and under the project's official convention ('miou').
"""
from __future__ import annotations
import argparse, ast, json, shlex, sys, tempfile, time
from dataclasses import asdict
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'nbs' / 'results' / 'sim_levers.json'


def _kv(items):
    "key=value strings -> dict with Python-literal values (numbers, tuples, None, strings)."
    out = {}
    for it in items or []:
        k, _, v = it.partition('=')
        try: out[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError): out[k] = v
    return out


def real_val_root(real: Path, seq: str, tmp: Path, zero_remission: bool) -> Path:
    """A temporary `sequences/` folder whose val sequence (08) is the real sequence `seq` (linked; copied with remission
    zeroed if asked). Its train sequence (00) is one tiny simulated scan: the loader builder opens a train split too,
    and it must never be the real scan."""
    from lkseg_nb.synth import Sensor, simulate_scan
    from lkseg_nb.data import write_scan
    root = tmp / 'real' / 'sequences'
    root.mkdir(parents=True)
    write_scan(root.parent, 0, 0, *simulate_scan(0, 0, 0, sensor=Sensor(beams=8, cols=64)))
    src = real / 'sequences' / seq
    if not zero_remission:
        (root / '08').symlink_to(src.resolve())
        return root
    (root / '08' / 'velodyne').mkdir(parents=True)
    (root / '08' / 'labels').symlink_to((src / 'labels').resolve())
    for b in sorted((src / 'velodyne').glob('*.bin')):
        p = np.fromfile(b, np.float32).reshape(-1, 4).copy(); p[:, 3] = 0
        p.tofile(root / '08' / 'velodyne' / b.name)
    return root


def zero_remission_in(data: Path):
    "Set the remission channel of every simulated scan under `data` to 0."
    for b in data.rglob('*.bin'):
        p = np.fromfile(b, np.float32).reshape(-1, 4); p[:, 3] = 0; p.tofile(b)


def main(argv=None):
    ap = argparse.ArgumentParser(prog='python tools/sim_levers.py', description=__doc__.split('\n\n')[0])
    ap.add_argument('name', help='lever name (key in the results file)')
    ap.add_argument('--config', default=str(ROOT / 'configs' / 'demo-cpu.yaml'))
    ap.add_argument('--cols', type=int, default=512, help='simulated samples per revolution')
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--train-scans', type=int, default=40)
    ap.add_argument('--val-scans', type=int, default=10)
    ap.add_argument('--sensor', nargs='*', default=[], help='Sensor fields, key=value')
    ap.add_argument('--rules', nargs='*', default=[], help='WorldRules fields, key=value')
    ap.add_argument('--zero-remission', action='store_true', help='zero the remission channel at training and at test time')
    ap.add_argument('--checkpoint', default=None, help='only evaluate this checkpoint on the real scans (no simulation, no training)')
    ap.add_argument('--real', default=None, help='SemanticKITTI folder with sequences/ (default: the shared sample)')
    ap.add_argument('--real-seq', default='00')
    ap.add_argument('--work', default=None, help='data and run folder (default: runs/sim_levers/NAME)')
    ap.add_argument('--note', default='')
    ap.add_argument('--no-record', action='store_true', help='do not write the results file')
    ap.add_argument('overrides', nargs='*', help='config overrides section.key=value')
    a = ap.parse_intermixed_args(argv)
    import torch
    from lkseg_nb.config import load_config, shared_path
    from lkseg_nb import synth, train, evaluate as ev
    real = Path(a.real) if a.real else shared_path('data', 'semantickitti')
    if real is None or not (real / 'sequences' / a.real_seq).is_dir():
        sys.exit(f'error: no real SemanticKITTI sequence {a.real_seq} (pass --real DIR holding sequences/{a.real_seq})')
    work = Path(a.work) if a.work else ROOT / 'runs' / 'sim_levers' / a.name
    args = list(sys.argv[1:] if argv is None else argv)
    if '--note' in args: i = args.index('--note'); del args[i:i + 2]              # the note is recorded on its own
    rec = {'name': a.name, 'command': 'python tools/sim_levers.py ' + shlex.join(args), 'note': a.note}
    t0 = time.time()
    if a.checkpoint is None:
        data = work / 'data'
        sensor = synth.Sensor(cols=a.cols, **_kv(a.sensor)); rules = synth.WorldRules(**_kv(a.rules))
        s = synth.write_dataset(data, seed=a.seed, n_train=a.train_scans, n_val=a.val_scans, n_test=0, sensor=sensor, rules=rules, progress=False)
        if a.zero_remission: zero_remission_in(data)
        rec.update(sim_seconds=s['seconds'], points_per_scan=s['points_mean'], train_scans=a.train_scans, cols=a.cols,
                   sensor=_kv(a.sensor), rules=_kv(a.rules))
        ov = [f'dataset_params.train_data_loader.data_path={data}/sequences', f'dataset_params.val_data_loader.data_path={data}/sequences', *a.overrides]
        t1 = time.time()
        r = train.main(['--config', a.config, '--run-dir', str(work / 'run'), '--fresh', *ov])
        rec['train_minutes'] = round((time.time() - t1) / 60, 1)
        ck = Path(r['run_dir']) / 'best.pt'
        rec['sim_val_miou'] = round(100 * float(r['best_miou']), 2) if r.get('best_miou') is not None else None
    else:
        ck, ov = Path(a.checkpoint), list(a.overrides)
    with tempfile.TemporaryDirectory(prefix='sim_levers_') as tmp:
        root = real_val_root(real, a.real_seq, Path(tmp), a.zero_remission)
        cfg = load_config(a.config, ov + [f'dataset_params.train_data_loader.data_path={root}', f'dataset_params.val_data_loader.data_path={root}',
                                          'dataset_params.num_vote=1'])
        e = ev.evaluate(cfg, str(ck), show=False)
    cm = np.asarray(e['confusion']); names = e['names']
    gt = cm.sum(1); tp = np.diag(cm); union = gt + cm.sum(0) - tp
    present = [c for c in range(1, len(names)) if gt[c] > 0]
    iou = {names[c]: round(100 * float(tp[c] / union[c]), 1) for c in present}
    rec.update(miou_present=round(float(np.mean(list(iou.values()))), 2), miou=round(100 * float(e['miou']), 2), iou_present=iou,
               real_scans=e['scans'], real_points=e['points'], minutes_total=round((time.time() - t0) / 60, 1))
    print(json.dumps(rec, indent=1))
    if not a.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        allr = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        allr[a.name] = rec
        RESULTS.write_text(json.dumps(allr, indent=1) + '\n')
    return rec


if __name__ == '__main__': main()
