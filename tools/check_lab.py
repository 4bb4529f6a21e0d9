"""Check that JupyterLab opens a notebook cleanly, in a real (headless) browser.

    python tools/check_lab.py                       # starts `bash scripts/lab.sh` on a free port, opens nbs/20_main.ipynb
    python tools/check_lab.py --notebook 19_plots.ipynb --no-setup --out runs/check_lab

Starts JupyterLab through `scripts/lab.sh` (with `--no-setup`: LKSEG_LAB_SETUP=0, the `jupyter` on PATH) on a free
port with a random token, opens the notebook in headless Chromium (driven through chromedriver, tools/webdriver.py),
waits until the notebook and its stored outputs are rendered and a few seconds more (the build check runs after the
page loads), saves screenshots (`<out>/lab_<notebook>.png`, and `lab_<notebook>_picture.png` scrolled to the first
stored picture) and fails (exit status 1) when
- a dialog is open or the page says "Build Recommended" (or any other "Build" prompt),
- the notebook shows no stored output or no picture (`--min-images`).
Needs Debian's chromium and chromium-driver (scripts/env.sh "[dev]" installs them as root).
"""
from __future__ import annotations
import argparse, json, os, secrets, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import webdriver as W   # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

_STATE = """
var q = function(s){ return document.querySelectorAll(s).length; };
var dialogs = Array.from(document.querySelectorAll('.jp-Dialog')).map(function(d){ return d.innerText.slice(0, 300); });
return {notebook: q('.jp-NotebookPanel .jp-Notebook'), cells: q('.jp-NotebookPanel .jp-Cell'),
        outputs: q('.jp-NotebookPanel .jp-OutputArea-output'), images: q('.jp-NotebookPanel .jp-OutputArea-output img'),
        dialogs: dialogs, build: document.body.innerText.indexOf('Build Recommended') >= 0,
        kernel: (document.querySelector('.jp-Toolbar-kernelName') || {}).innerText || ''};
"""


_SCROLL = """
var img = document.querySelector('.jp-NotebookPanel .jp-OutputArea-output img');
var sc = img.closest('.jp-WindowedPanel-outer') || img.closest('.jp-Notebook');
sc.scrollTop += img.getBoundingClientRect().top - sc.getBoundingClientRect().top - 80;
"""


def free_port() -> int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc) -> None:
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f"JupyterLab exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5): return
        except OSError: time.sleep(0.5)
    raise TimeoutError(f"JupyterLab did not answer {url} within {timeout:.0f} s")


def check(notebook: str = '20_main.ipynb', out: Path = ROOT / 'runs' / 'check_lab', setup: bool = True, timeout: float = 240,
          settle: float = 8, min_images: int = 1) -> dict:
    "Open `nbs/<notebook>` in JupyterLab in headless Chromium; returns what the page showed (raises on problems)."
    if W.CHROMIUM is None or W.CHROMEDRIVER is None:
        raise RuntimeError('chromium / chromedriver not installed (apt-get install -y chromium chromium-driver)')
    out = Path(out); out.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, LKSEG_LAB_PORT=str(port), LKSEG_LAB_TOKEN=token, LKSEG_LAB_SETUP='1' if setup else '0',
               JUPYTERLAB_WORKSPACES_DIR=str(out / 'workspaces'), JUPYTERLAB_SETTINGS_DIR=str(out / 'settings'))   # a fresh layout
    log = open(out / 'lab.log', 'w')
    lab = subprocess.Popen(['bash', str(ROOT / 'scripts' / 'lab.sh')], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    wd, problems = None, []
    try:
        wait_http(f'http://127.0.0.1:{port}/api/status?token={token}', timeout, lab)
        wd = W.WebDriver(out / 'chromium-profile')
        wd.get(f'http://127.0.0.1:{port}/lab/tree/{notebook}?token={token}')
        t0, st = time.time(), {}
        while time.time() - t0 < timeout:
            st = wd.js(_STATE)
            if st['notebook'] and st['outputs'] and st['images'] >= min_images: break
            time.sleep(1)
        time.sleep(settle)   # the build check and kernel start come after the first render
        st = wd.js(_STATE); st['seconds'] = round(time.time() - t0, 1)
        rel = lambda f: str(f.relative_to(ROOT) if f.is_relative_to(ROOT) else f)
        shot = out / f"lab_{Path(notebook).stem}.png"; wd.screenshot(shot); st['screenshot'] = rel(shot)
        if st['images']:   # a second screenshot with the notebook scrolled to its first stored picture
            wd.js(_SCROLL)
            time.sleep(1); pic = out / f"lab_{Path(notebook).stem}_picture.png"; wd.screenshot(pic); st['screenshot_picture'] = rel(pic)
        if st['build']: problems.append('the page says "Build Recommended"')
        if st['dialogs']: problems.append(f"dialog(s) open: {st['dialogs']}")
        if not st['notebook']: problems.append(f'{notebook} did not open')
        elif not st['outputs']: problems.append(f'{notebook} opened with no stored output')
        elif st['images'] < min_images: problems.append(f"{notebook} shows {st['images']} picture(s), expected >= {min_images}")
        st['problems'] = problems
        return st
    finally:
        if wd is not None: wd.close()
        try: os.killpg(lab.pid, signal.SIGTERM); lab.wait(20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try: os.killpg(lab.pid, signal.SIGKILL)
            except ProcessLookupError: pass
        log.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--notebook', default='20_main.ipynb', help='notebook of nbs/ to open')
    ap.add_argument('--out', default=str(ROOT / 'runs' / 'check_lab'), help='folder for the screenshot, the JupyterLab log and the browser profile')
    ap.add_argument('--no-setup', action='store_true', help="don't run scripts/env.sh (use the jupyter on PATH)")
    ap.add_argument('--min-images', type=int, default=1, help='pictures the notebook must show')
    ap.add_argument('--timeout', type=float, default=240)
    a = ap.parse_args(argv)
    st = check(a.notebook, Path(a.out), not a.no_setup, a.timeout, min_images=a.min_images)
    print(json.dumps(st, indent=1, ensure_ascii=False))
    print('[check_lab]', 'FAILED: ' + '; '.join(st['problems']) if st['problems'] else f"ok: {a.notebook} opened clean, screenshot {st['screenshot']}")
    return 1 if st['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
