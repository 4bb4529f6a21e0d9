"""Every notebook in nbs/ is a test: run it top to bottom with nbdev's own runner (`nbdev.test.test_nb`, the function
`nbdev_test` calls), skipping cells flagged with a `tst_flags` flag unless LKSEG_TEST_FLAGS names it.
Each notebook runs in its own Python process (as under `nbdev_test`), so global state (torch threads, RNGs) cannot leak.
Pure mechanism (a pytest shim), so it is a plain file rather than a notebook."""
import os, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))
RUN = """
import sys
from pathlib import Path
from nbdev.config import get_config
from nbdev.test import test_nb
nb, force = Path(sys.argv[1]), sys.argv[2].split()
skip = [f for f in get_config().get('tst_flags', '').split() if f not in force]
ok, t = test_nb(nb, skip_flags=skip, force_flags=force, showerr=True, basepath=str(nb.parent.parent))
print(f"{nb.name}: {'ok' if ok else 'FAILED'} in {t:.1f}s")
sys.exit(0 if ok else 1)
"""

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    force = os.environ.get('LKSEG_TEST_FLAGS', '')
    r = subprocess.run([sys.executable, '-c', RUN, str(nb), force], cwd=ROOT, capture_output=True, text=True,
                       timeout=int(os.environ.get('LKSEG_NB_TIMEOUT', 1500)))
    sys.stdout.write(r.stdout[-5000:]); sys.stderr.write(r.stderr[-20000:])
    assert r.returncode == 0, f"{nb.name} failed:\n{r.stderr[-8000:]}"
