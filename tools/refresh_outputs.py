"""Regenerate the stored outputs of notebooks: run each top to bottom in a fresh IPython shell in its own process.

    python tools/refresh_outputs.py                      # every notebook of nbs/
    python tools/refresh_outputs.py nbs/19_plots.ipynb nbs/20_main.ipynb
    python tools/refresh_outputs.py --main-job           # run the main job (python -m lkseg_nb.main, what README
                                                         # command 1 runs), publish its results, refresh 20_main
    python tools/refresh_outputs.py --publish [RUN_DIR]  # publish a finished main job (default runs/demo-cpu), refresh 20_main

Each notebook runs in execnb's `CaptureShell` -- the shell nbdev's test runner (`nbdev_test`, tests/test_notebooks.py)
runs notebooks in, so a notebook behaves here exactly as under its test; no Jupyter kernel or extra package is needed
(nbclient would need a kernel and a new dependency). Cells flagged `#| slow`, `#| cuda`, `#| multigpu` (unless named
with `--flags`), `#| eval: false`, and the `nbdev_export()` cell are not run and keep whatever output they had stored
(a slow cell keeps the output of the real run that produced it). Every other code cell gets the outputs of this run,
cleaned by `nb_outputs.sanitize` (paths relative to the repo, no progress bars, long text cut, PNGs at most 1200 px
wide, a 256-colour palette above 100 kB; tqdm is disabled with TQDM_DISABLE=1). A cell that raises stops
that notebook: nothing is written for it, the traceback is printed and the exit status is 1.
Then `nbdev_clean` runs on the notebook (settings.ini: clear_all = False keeps outputs) and `nbs/.outputs.lock` records
the hash of the notebook's code cells, which tests/test_outputs.py compares with the current code.
"""
from __future__ import annotations
import argparse, json, os, subprocess, sys, time, traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nb_outputs as R   # noqa: E402

ROOT = R.ROOT
FLAGS = ('slow', 'cuda', 'multigpu')


def _run_one(nb_path: Path, force_flags: list) -> int:
    "Child process: execute `nb_path`, store the outputs in it. Returns an exit status."
    os.environ['TQDM_DISABLE'] = '1'; os.environ.setdefault('MPLBACKEND', 'Agg')
    from execnb.shell import CaptureShell
    nb = json.loads(nb_path.read_text(encoding='utf-8'))
    skip = [f for f in FLAGS if f not in force_flags]
    os.chdir(nb_path.parent)
    sh = CaptureShell(nb_path, mpl_format='png')
    t0, ran, kept = time.time(), 0, 0
    for i, c in enumerate(nb['cells']):
        if c['cell_type'] != 'code': continue
        src = R._src(c); d = R.directives(src)
        if ('nbdev_export' + '(' in src or d.get('eval', '').lower() == 'false' or any(f in d for f in skip)):
            kept += 1; continue
        outs = sh.run(src)
        if sh.exc is not None:
            sys.stderr.write(f"{nb_path.name}: cell {i} (id {c.get('id')}) raised; nothing written.\n{sh.prettytb(fname=nb_path)}\n")
            return 1
        c['outputs'] = R.sanitize(list(outs), ROOT); c['execution_count'] = None; ran += 1
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n', encoding='utf-8')
    print(f"{nb_path.relative_to(ROOT)}: {ran} cells run, {kept} kept as stored, {time.time() - t0:.0f} s")
    return 0


def refresh(nbs: list, force_flags=(), timeout: int = 1800) -> list:
    "Refresh each notebook in its own process, one after the other; returns the notebooks that failed."
    failed = []
    for nb in nbs:
        nb = Path(nb).resolve()
        try:
            p = subprocess.run([sys.executable, __file__, '--_one', str(nb), '--flags', *force_flags], cwd=ROOT, timeout=timeout)
            ok = p.returncode == 0
        except subprocess.TimeoutExpired: print(f"{nb.name}: timed out after {timeout} s"); ok = False
        if not ok: failed.append(nb.name); continue
        clean = Path(sys.executable).parent / 'nbdev_clean'
        subprocess.run([str(clean) if clean.exists() else 'nbdev_clean', '--fname', str(nb)], cwd=ROOT, check=True)
        R.write_lock({nb.name: R.code_hash(nb)})
    return failed


def main_job(extra: list) -> Path:
    "Run the main job as README command 1 does (`python -m lkseg_nb.main`, after scripts/main.sh's setup)."
    cmd = [sys.executable, '-m', 'lkseg_nb.main', *extra]
    print('[refresh] running', ' '.join(['python', *cmd[1:]]), flush=True)
    subprocess.run(cmd, cwd=ROOT, check=True)
    return ROOT / 'runs' / 'demo-cpu'


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('notebooks', nargs='*', help='notebooks to refresh (default: every notebook of nbs/)')
    ap.add_argument('--flags', nargs='*', default=[], help=f'also run cells with these flags ({" ".join(FLAGS)})')
    ap.add_argument('--main-job', nargs=argparse.REMAINDER, default=None, metavar='ARGS',
                    help='run the main job (with ARGS), publish its results, then refresh nbs/20_main.ipynb')
    ap.add_argument('--publish', nargs='?', const='runs/demo-cpu', default=None, metavar='RUN_DIR',
                    help='publish a finished main job to nbs/results + nbs/images, then refresh nbs/20_main.ipynb')
    ap.add_argument('--timeout', type=int, default=1800, help='seconds per notebook')
    ap.add_argument('--_one', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a._one: return _run_one(Path(a._one), a.flags)
    nbs = [Path(n) for n in a.notebooks]
    if a.main_job is not None or a.publish:
        from lkseg_nb.main import publish
        run = main_job(a.main_job) if a.main_job is not None else (ROOT / a.publish)
        print('[refresh] published', publish(run, ROOT))
        nbs = nbs or [ROOT / 'nbs' / '20_main.ipynb']
    nbs = nbs or R.notebooks()
    missing = [str(n) for n in nbs if not Path(n).exists()]
    if missing: ap.error(f"no such notebook: {' '.join(missing)}")
    failed = refresh(nbs, a.flags, a.timeout)
    print(f"[refresh] {len(nbs) - len(failed)} of {len(nbs)} notebooks refreshed" + (f"; FAILED: {' '.join(failed)}" if failed else ''))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
