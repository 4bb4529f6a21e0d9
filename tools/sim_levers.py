"""Measure one simulator / training lever against real SemanticKITTI scans: simulate, train on simulated scans only,
evaluate on the real scans of the shared folder, and record the result in nbs/results/sim_levers.json.

    python tools/sim_levers.py NAME [--cols 512] [--train-scans 40] [--sensor key=value ...] [--rules key=value ...]
                               [config overrides section.key=value ...]

The real scans are read at evaluation time only (from `lkseg_nb.config.shared_path('data', 'semantickitti')` or
--real) by `lkseg_nb.main.real_scan_miou`, the function the main job uses; nothing of them is copied into the
repository and nothing is fitted to them. mIoU is reported over the classes present in the real ground truth
('miou_present') and over all classes ('miou'), both under the official convention (ground-truth 'unlabeled' points
count for no class). Each is measured twice: as the model predicts, and with dataset_params.prior_shift=semantickitti
(the training data's class mix corrected to SemanticKITTI's, 'miou_present_prior_shift'). Input-channel levers are
config overrides, e.g. dataset_params.use_remission=false.
"""
from __future__ import annotations
import argparse, ast, json, shlex, sys, time
from dataclasses import asdict
from pathlib import Path

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
    ap.add_argument('--checkpoint', default=None, help='only evaluate this checkpoint on the real scans (no simulation, no training)')
    ap.add_argument('--real', default=None, help='SemanticKITTI folder with sequences/ (default: the shared sample)')
    ap.add_argument('--work', default=None, help='data and run folder (default: runs/sim_levers/NAME)')
    ap.add_argument('--note', default='')
    ap.add_argument('--no-record', action='store_true', help='do not write the results file')
    ap.add_argument('overrides', nargs='*', help='config overrides section.key=value')
    a = ap.parse_intermixed_args(argv)
    from lkseg_nb.config import load_config, shared_path
    from lkseg_nb import synth, train
    from lkseg_nb.main import real_scan_miou
    real = Path(a.real) if a.real else shared_path('data', 'semantickitti')
    if real is None or not (real / 'sequences').is_dir():
        sys.exit('error: no real SemanticKITTI scans (pass --real DIR holding sequences/)')
    work = Path(a.work) if a.work else ROOT / 'runs' / 'sim_levers' / a.name
    args = list(sys.argv[1:] if argv is None else argv)
    if '--note' in args: i = args.index('--note'); del args[i:i + 2]              # the note is recorded on its own
    rec = {'name': a.name, 'command': 'python tools/sim_levers.py ' + shlex.join(args), 'note': a.note}
    t0 = time.time()
    if a.checkpoint is None:
        data = work / 'data'
        sensor = synth.Sensor(cols=a.cols, **_kv(a.sensor)); rules = synth.WorldRules(**_kv(a.rules))
        s = synth.write_dataset(data, seed=a.seed, n_train=a.train_scans, n_val=a.val_scans, n_test=0, sensor=sensor, rules=rules, progress=False)
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
    e = real_scan_miou(a.config, ov, str(ck), real)
    p = real_scan_miou(a.config, ov, str(ck), real, prior_shift='semantickitti')
    iou = {n: round(100 * v, 1) for n, v in e['iou'].items() if v is not None and n in e['present']}
    rec.update(miou_present=round(100 * e['miou_present'], 2), miou=round(100 * e['miou'], 2), iou_present=iou,
               miou_present_prior_shift=round(100 * p['miou_present'], 2),
               iou_present_prior_shift={n: round(100 * v, 1) for n, v in p['iou'].items() if v is not None and n in p['present']},
               real_scans=e['scans'], minutes_total=round((time.time() - t0) / 60, 1))
    print(json.dumps(rec, indent=1))
    if not a.no_record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        allr = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        allr[a.name] = rec
        RESULTS.write_text(json.dumps(allr, indent=1) + '\n')
    return rec


if __name__ == '__main__': main()
