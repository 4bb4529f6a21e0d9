"""Run every multi-process check of lkseg_nb N times in a row and count passes and failures (not part of CI).

    python tools/stress_mp.py --runs 30 [--only train2,eval2,pred2,mask,bench,torchrun_eval] [--timeout 600]

Checks (all on CPU with gloo, 2 processes, on tiny simulated scans and a tiny model made once in a temporary folder):
  train2        python -m lkseg_nb.train --nprocs 2 --cpu, validating after every step on a val set of ONE scan
                (one rank's shard is empty: the case that used to deadlock)
  eval2         python -m lkseg_nb.evaluate --nprocs 2 --cpu, 3 val scans, num_vote 2; must print the 1-process mIoU
  pred2         python -m lkseg_nb.predict --nprocs 2 --cpu, 3 test scans; files byte-identical to 1 process
  mask          lkseg_nb.testing.ddp_mask_check (the 2-process DDP masking check of the test helpers page)
  bench         python -m lkseg_nb.bench --quick --only masking (the same check inside the benchmark)
  torchrun_eval torchrun --nproc_per_node 2 -m lkseg_nb.evaluate --cpu (same mIoU)
A run fails on a non-zero exit code (a signal shows as a negative one: -6 is SIGABRT), a timeout, or a wrong result.
The summary prints one line per check: passes, failures and the exit codes of the failures.
"""
import argparse, json, os, re, subprocess, sys, tempfile, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ('train2', 'eval2', 'pred2', 'mask', 'bench', 'torchrun_eval')


def _env():
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    env.setdefault('OMP_WAIT_POLICY', 'PASSIVE'); env.setdefault('MPLBACKEND', 'Agg')
    for k in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'): env.pop(k, None)
    return env


def _run(cmd, timeout):
    "(exit code or 'timeout', stdout+stderr tail, seconds)"
    t0 = time.time()
    try:
        r = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)
        return r.returncode, (r.stdout + r.stderr)[-3000:], time.time() - t0
    except subprocess.TimeoutExpired as e:
        out = ((e.stdout or b'') + (e.stderr or b'')) if isinstance(e.stdout, bytes) else ((e.stdout or '') + (e.stderr or ''))
        return 'timeout', str(out)[-3000:], time.time() - t0


def setup(d: Path) -> dict:
    "Simulated scans (4 train, 1 val in sim1; 3 val and 3 test in sim3), a checkpoint, and the 1-process references."
    sys.path.insert(0, str(ROOT))
    from lkseg_nb.synth import write_dataset
    from lkseg_nb.train import main as train_main
    from lkseg_nb.testing import tiny_overrides
    from lkseg_nb.evaluate import main as eval_main
    from lkseg_nb.predict import main as pred_main
    write_dataset(d/'sim1', seed=21, n_train=4, n_val=1, n_test=0, beams=16, cols=256, progress=False)
    write_dataset(d/'sim3', seed=22, n_train=0, n_val=3, n_test=3, beams=16, cols=256, progress=False)
    cfg = str(ROOT/'configs'/'demo-cpu.yaml')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        train_main(['--config', cfg, '--cpu', '--fresh', '--run-dir', str(d/'run'), *tiny_overrides(d/'sim1', d/'run'),
                    'train_params.max_num_epochs=1'])
        ev_ov = tiny_overrides(d/'sim3', d/'run') + ['dataset_params.num_vote=2', 'dataset_params.val_data_loader.rotate_aug=true']
        ev = eval_main(['--config', cfg, '--cpu', '--checkpoint', str(d/'run'/'best.pt'), *ev_ov])
        pred_main(['--config', cfg, '--cpu', '--checkpoint', str(d/'run'/'best.pt'), '--out', str(d/'pred1'), *ev_ov])
    ref = {p.relative_to(d/'pred1').as_posix(): p.read_bytes() for p in sorted((d/'pred1').rglob('*.label'))}
    return dict(cfg=cfg, ev_ov=ev_ov, miou=f"val mIoU {100*ev['miou']:.2f}", pred_ref=ref)


def check_cmd(name: str, d: Path, s: dict, i: int) -> tuple:
    "(command, verify(output) -> error message or None)"
    from lkseg_nb.testing import tiny_overrides
    py, ck = sys.executable, str(d/'run'/'best.pt')
    if name == 'train2':
        run = d/f'train2_{i}'
        cmd = [py, '-m', 'lkseg_nb.train', '--config', s['cfg'], '--nprocs', '2', '--cpu', '--fresh', '--run-dir', str(run),
               *tiny_overrides(d/'sim1', run), 'train_params.max_num_epochs=1', 'train_params.eval_every_n_steps=1']
        def verify(out):
            rows = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
            n_val = sum(r['kind'] == 'val' for r in rows)
            return None if n_val >= 2 else f'{n_val} validations in metrics.jsonl'
        return cmd, verify
    if name in ('eval2', 'torchrun_eval'):
        pre = [py, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(29500 + i % 400), '-m', 'lkseg_nb.evaluate'] \
            if name == 'torchrun_eval' else [py, '-m', 'lkseg_nb.evaluate', '--nprocs', '2']
        cmd = [*pre, '--config', s['cfg'], '--cpu', '--checkpoint', ck, *s['ev_ov']]
        return cmd, lambda out: None if s['miou'] in out and '2 process(es)' in out else f"expected {s['miou']!r} over 2 processes"
    if name == 'pred2':
        out_dir = d/f'pred2_{i}'
        cmd = [py, '-m', 'lkseg_nb.predict', '--config', s['cfg'], '--nprocs', '2', '--cpu', '--checkpoint', ck, '--out', str(out_dir), *s['ev_ov']]
        def verify(out):
            got = {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in sorted(out_dir.rglob('*.label'))}
            if got != s['pred_ref']: return f'prediction files differ from 1 process ({sorted(got)})'
            return None if (out_dir/'submission.zip').exists() else 'no submission.zip'
        return cmd, verify
    if name == 'mask':
        code = ("import tempfile, torch\nfrom lkseg_nb.testing import ddp_mask_check\nwith tempfile.TemporaryDirectory() as t:\n"
                "    r = ddp_mask_check(t, world=2, steps=6, update_frequency=3)\n"
                "assert all(torch.equal(r[0]['masks'][n], r[1]['masks'][n]) for n in r[0]['masks'])\nprint('masks equal')")
        return [py, '-c', code], lambda out: None if 'masks equal' in out else 'masks differ'
    if name == 'bench':
        return [py, '-m', 'lkseg_nb.bench', '--quick', '--only', 'masking', '--out', str(d/'bench')], lambda out: None
    raise ValueError(name)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--runs', type=int, default=10, help='runs of each check (default: %(default)s)')
    p.add_argument('--only', default=','.join(CHECKS), help='comma-separated checks (default: all: %(default)s)')
    p.add_argument('--timeout', type=float, default=600, help='seconds per run before it counts as hung (default: %(default)s)')
    p.add_argument('--keep', action='store_true', help='keep the temporary folder')
    p.add_argument('--stop-after', type=float, default=None, help='start no new round after this many minutes (the summary says how many ran)')
    a = p.parse_args(argv)
    names = [n for n in a.only.split(',') if n]
    bad = [n for n in names if n not in CHECKS]
    if bad: p.error(f"unknown checks {bad}; choose from {','.join(CHECKS)}")
    d = Path(tempfile.mkdtemp(prefix='lkseg_stress_'))
    print(f'setting up in {d} ...', flush=True)
    s = setup(d)
    stats = {n: dict(ok=0, fail=0, codes=[], secs=[]) for n in names}
    t_start = time.time()
    for i in range(a.runs):
        if a.stop_after is not None and time.time() - t_start > 60 * a.stop_after:
            print(f'--stop-after {a.stop_after} min reached: {i} of {a.runs} rounds ran', flush=True); break
        for n in names:   # interleaved: a flake that depends on the machine's state shows in every check
            cmd, verify = check_cmd(n, d, s, i)
            rc, out, secs = _run(cmd, a.timeout)
            err = f'exit code {rc}' if rc != 0 else verify(out)
            st = stats[n]; st['secs'].append(secs)
            if err is None: st['ok'] += 1
            else:
                st['fail'] += 1; st['codes'].append(rc)
                print(f'--- {n} run {i + 1} FAILED ({err}):\n{out[-1500:]}\n---', flush=True)
            print(f'run {i + 1}/{a.runs} {n}: {"ok" if err is None else "FAIL"} ({secs:.1f} s)', flush=True)
        print(f"after round {i + 1}: " + ', '.join(f"{n} {st['ok']}/{st['ok'] + st['fail']}" for n, st in stats.items()), flush=True)
    print('\nsummary')
    for n, st in stats.items():
        print(f"{n}: {st['ok']}/{st['ok'] + st['fail']} passed, {st['fail']} failed"
              + (f", failure exit codes {st['codes']}" if st['fail'] else '')
              + f", median {sorted(st['secs'])[len(st['secs']) // 2]:.1f} s per run")
    if not a.keep:
        import shutil; shutil.rmtree(d, ignore_errors=True)
    return 0 if all(st['fail'] == 0 for st in stats.values()) else 1


if __name__ == '__main__': sys.exit(main())
