"""JupyterLab opens the main-job notebook clean: no "Build Recommended" dialog, stored outputs and pictures shown.

Runs tools/check_lab.py (JupyterLab through scripts/lab.sh with the environment already on PATH, headless Chromium
through chromedriver). Skips with the reason when JupyterLab (`bash scripts/lab.sh` installs it), chromium or
chromedriver is missing. About 30 s.
"""
import importlib.util, shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_lab_opens_clean(tmp_path):
    if importlib.util.find_spec('jupyterlab') is None: pytest.skip('jupyterlab not installed (bash scripts/lab.sh installs it)')
    if not (shutil.which('chromium') and shutil.which('chromedriver')):
        pytest.skip('chromium / chromedriver not installed (apt-get install -y chromium chromium-driver)')
    spec = importlib.util.spec_from_file_location('check_lab', ROOT / 'tools' / 'check_lab.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    st = m.check('20_main.ipynb', tmp_path, setup=False, min_images=3)
    assert not st['problems'], st
    assert st['outputs'] >= 5 and not st['build'] and not st['dialogs'], st
