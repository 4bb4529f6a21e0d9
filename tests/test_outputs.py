"""Stored notebook outputs: every example the page shows has one, and they come from the notebook's current code.

- A visible code cell that is not a pure definition (the rules of `tools/nb_outputs.py`, the same heuristic as the
  project's pre-stop check) must store an output; otherwise the page shows an empty box under it.
- `nbs/.outputs.lock` holds, per notebook, the hash of the code cells its outputs were produced with
  (written by `python tools/refresh_outputs.py`); a notebook whose code changed since must be refreshed.
- Stored outputs stay small and machine-independent: no absolute path of this checkout, no ANSI codes.
One test per notebook, so `-k "19_plots or 20_main"` selects notebooks.
"""
import importlib.util, json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('nb_outputs', ROOT / 'tools' / 'nb_outputs.py')
R = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(R)
NBS = R.notebooks(ROOT)
MAX_NB_BYTES = 1_500_000


def test_rules():
    "The heuristic, on the cases it must tell apart."
    assert R.needs_output("environment()") and R.needs_output("x = f()\nx")
    assert R.needs_output("fig = plot(a)\nprint(fig)")
    assert not R.needs_output("#| cuda\nrun_on_gpu()") and R.flags("#| slow\n#| hide\nx()") == ['slow']
    for s in ("#| hide\nf()", "#| export\ndef f(): pass", "#| exporti\nf()", "#| eval: false\nf()", "import os\nfrom a import b",
              "@dataclass\nclass A:\n    x: int = 0", "x = 1\ny = f(x)\n# comment", "", "# only a comment"):
        assert not R.needs_output(s), s
    assert R.directives("#| slow\n#| hide\nx") == {'slow': '', 'hide': ''} and R.directives("#| eval: false\n1") == {'eval': 'false'}
    assert R.code_hash({'cells': [{'cell_type': 'code', 'source': 'a'}, {'cell_type': 'markdown', 'source': 'b'}]}) == \
           R.code_hash({'cells': [{'cell_type': 'code', 'source': ['a\n']}]})


def test_sanitize(tmp_path):
    root = tmp_path / 'repo'
    out = R.sanitize([{'output_type': 'stream', 'name': 'stdout',
                       'text': [f'wrote {root}/runs/x.png\n', 'a\r50%\r100%\n', '\x1b[31mred\x1b[0m\n', 'sim:  40%|####      | 4/10 [00:01<00:02,  3.1it/s]\rsim: 100%|##########| 10/10 [00:03<00:00,  3.2it/s]\n'] + [f'{i}\n' for i in range(100)]}], root)
    text = ''.join(out[0]['text'])
    assert 'wrote runs/x.png' in text and '100%\n' in text and '50%' not in text and '\x1b' not in text and 'red' in text and 'it/s' not in text
    assert 'lines cut' in text and text.count('\n') < 60


@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_outputs_stored_and_current(nb):
    d = json.loads(nb.read_text(encoding='utf-8'))
    empty = [f"cell {i} (id {c.get('id')}): {R._src(c).strip().splitlines()[0][:70]!r}"
             for i, c in enumerate(d['cells']) if c['cell_type'] == 'code' and R.needs_output(R._src(c)) and not c.get('outputs')]
    fix = f"run: python tools/refresh_outputs.py nbs/{nb.name}"
    assert not empty, f"{nb.name}: {len(empty)} example cell(s) with no stored output (an empty box on the page); {fix}\n" + '\n'.join(empty)
    stored = R.read_lock(ROOT / 'nbs' / '.outputs.lock').get(nb.name)
    assert stored == R.code_hash(d), (f"{nb.name}: its code changed since its outputs were stored" if stored else
                                      f"{nb.name}: not in nbs/.outputs.lock") + f"; {fix}"
    raw = nb.read_text(encoding='utf-8')
    assert str(ROOT) not in raw, f"{nb.name}: an output holds an absolute path of this checkout ({ROOT}); {fix}"
    assert '\x1b[' not in raw and '\\u001b[' not in raw, f"{nb.name}: ANSI escape codes in stored outputs; {fix}"
    assert len(raw.encode()) < MAX_NB_BYTES, f"{nb.name}: {len(raw.encode()) // 1000} kB, outputs too big"
