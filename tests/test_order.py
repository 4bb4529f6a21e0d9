"""Reading order: a notebook uses only what earlier notebooks (in the sidebar of `_quarto.yml`, which is also the file-name
order) or the notebook itself export. Every `lkseg_nb` module imported in any cell of a notebook — `from lkseg_nb.X import`,
`import lkseg_nb.X`, `from lkseg_nb import X`, and the relative `from .X import` of exported code — must be exported by
that notebook or by one before it. Pure mechanism (a pytest check of the notebooks' structure), so it is a plain file."""
import json, re
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'

def sidebar_order() -> list:
    "Notebook file names in the order of the sidebar of `_quarto.yml`."
    cfg = yaml.safe_load((ROOT/'_quarto.yml').read_text())
    out = []
    def walk(items):
        for it in items:
            if isinstance(it, str): out.append(it)
            elif isinstance(it, dict) and 'contents' in it: walk(it['contents'])
            elif isinstance(it, dict) and 'href' in it: out.append(it['href'])
    walk(cfg['website']['sidebar']['contents'])
    return [n for n in out if n.endswith('.ipynb')]

def cells(nb: Path) -> list:
    return [''.join(c['source']) for c in json.loads(nb.read_text())['cells'] if c['cell_type'] == 'code']

def exports(nb: Path) -> set:
    "Modules a notebook exports: its `default_exp` and any `#| export X` target."
    mods = set()
    for s in cells(nb):
        mods |= set(re.findall(r'^#\|\s*default_exp\s+(\S+)', s, re.M))
        mods |= set(re.findall(r'^#\|\s*export[i]?\s+(\w[\w.]*)\s*$', s, re.M))
    return mods

_PKG = {p.stem for p in (ROOT/'lkseg_nb').glob('*.py') if not p.stem.startswith('_')}

def imports(nb: Path) -> set:
    "The `lkseg_nb` modules imported anywhere in the notebook's code cells."
    mods = set()
    for s in cells(nb):
        mods |= set(re.findall(r'\bfrom\s+lkseg_nb\.(\w+)', s))
        mods |= set(re.findall(r'\bimport\s+lkseg_nb\.(\w+)', s))
        mods |= set(re.findall(r'^\s*from\s+\.(\w+)\s+import', s, re.M))
        for names in re.findall(r'\bfrom\s+lkseg_nb\s+import\s+\(?([\w\s,]+)', s) + re.findall(r'^\s*from\s+\.\s+import\s+\(?([\w\s,]+)', s, re.M):
            mods |= {n.split()[0] for n in names.split(',') if n.split() and n.split()[0] in _PKG}
    return mods

def test_sidebar_is_file_order():
    order = sidebar_order()
    numbered = [n for n in order if n[:2].isdigit()]
    assert numbered == sorted(numbered), f"sidebar order differs from file order: {numbered}"
    on_disk = sorted(p.name for p in NBS.glob('[0-9]*.ipynb'))
    assert sorted(numbered) == on_disk, f"notebooks missing from the sidebar or gone from nbs/: {set(on_disk) ^ set(numbered)}"

def test_notebooks_use_only_earlier_ones():
    order = [n for n in sidebar_order() if (NBS/n).exists()]
    home = {}
    for n in order:
        for m in exports(NBS/n): home.setdefault(m, n)
    bad = []
    for i, n in enumerate(order):
        seen = {m for j in range(i + 1) for m in exports(NBS/order[j])}
        for m in sorted(imports(NBS/n) - seen):
            if m in home: bad.append(f"{n} imports lkseg_nb.{m}, exported later by {home[m]}")
    assert not bad, '\n'.join(bad)
