"""Rules about stored notebook outputs, shared by tools/refresh_outputs.py, tests/test_outputs.py and tools/build_docs.py.

- `needs_output(src)`: a code cell that the page shows and that is not a pure definition must store an output.
  The same heuristic as the project's pre-stop check (so both agree): a cell whose FIRST line is `#| hide`,
  `#| export`, `#| exporti`, `#| exports`, `#| default_exp` or `#| eval: false` is not shown; a shown cell whose
  non-comment lines are all imports / def / class / decorators / indented lines, or all assignments, is a definition.
- `code_hash(nb)`: a hash of a notebook's code-cell sources; `nbs/.outputs.lock` maps each notebook to the hash of
  the code its stored outputs came from.
- `sanitize(outputs, root)`: small, machine-independent outputs: no absolute paths of this checkout, the venv, the
  shared data or temporary folders; no ANSI codes or progress bars (a carriage-return line keeps its last state, tqdm
  lines go); long text cut in the middle; PNGs at most 1200 px wide, stored with a palette above 100 kB.
"""
from __future__ import annotations
import base64, functools, hashlib, io, json, re, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / 'nbs' / '.outputs.lock'
HIDDEN = re.compile(r'#\|\s*(hide|export|exporti|exports|default_exp|eval:\s*false)')
MAX_LINES, KEEP_LINES, MAX_CHARS, MAX_PNG_WIDTH, MAX_PNG_BYTES = 60, 25, 20_000, 1200, 100_000
RICH, MAX_RICH_CHARS = ('text/html', 'text/markdown', 'text/latex'), 150_000   # kept whole up to this size


def notebooks(root: Path = ROOT) -> list:
    "The notebooks of `nbs/` (not `_*` or `.*`)."
    return sorted(p for p in (root / 'nbs').glob('*.ipynb') if not p.name.startswith(('_', '.')))


def _src(c) -> str: return ''.join(c['source']) if isinstance(c['source'], list) else c['source']


def directives(src: str) -> dict:
    "`{name: value}` of the leading `#| name[: value]` lines of a cell."
    d = {}
    for l in src.splitlines():
        if not l.startswith('#|'): break
        k, _, v = l[2:].partition(':'); d[k.strip()] = v.strip()
    return d


def visible(src: str) -> bool:
    "Shown on the page (the pre-stop check looks at the first line only)."
    return bool(src.strip()) and not HIDDEN.match(src.lstrip().splitlines()[0])


def is_definition(src: str) -> bool:
    "Only imports, def/class, decorators (and their bodies), or only assignments."
    body = [l for l in src.splitlines() if l.strip() and not l.lstrip().startswith('#')]
    if all(re.match(r'(import|from|def|class|@|\s)', l) for l in body): return True
    return all(re.match(r'\w[\w\.\[\], ]*\s*=', l) or l.startswith((' ', '\t')) for l in body)


FLAGS = ('slow', 'cuda', 'multigpu')   # settings.ini tst_flags: such cells run only when LKSEG_TEST_FLAGS names the flag


def flags(src: str) -> list:
    "The test flags (`#| slow`, `#| cuda`, `#| multigpu`) among a cell's leading directives."
    return [f for f in directives(src) if f in FLAGS]


def needs_output(src: str) -> bool:
    """A visible code cell that is not a pure definition: the page would show an empty box without a stored output.
    Flagged cells are exempt: they run only on a machine that has what the flag names (the refresh keeps the output of
    such a run when there is one; otherwise the site shows a note saying how the cell runs)."""
    return visible(src) and not is_definition(src) and not flags(src)


def code_hash(nb: dict | Path) -> str:
    "sha256 (first 16 hex digits) of the notebook's code-cell sources, in order."
    if not isinstance(nb, dict): nb = json.loads(Path(nb).read_text(encoding='utf-8'))
    h = hashlib.sha256()
    for c in nb['cells']:
        if c['cell_type'] == 'code': h.update(_src(c).rstrip().encode() + b'\n\x00')
    return h.hexdigest()[:16]


def read_lock(lock: Path = LOCK) -> dict:
    return json.loads(lock.read_text(encoding='utf-8')) if lock.exists() else {}


def write_lock(entries: dict, lock: Path = LOCK):
    d = read_lock(lock); d.update(entries)
    lock.write_text(json.dumps(dict(sorted(d.items())), indent=1) + '\n', encoding='utf-8')


# ------------------------------------------------------------------------------------------------------------------
# sanitizing outputs

_ANSI = re.compile(r'\x1b\[[0-9;?]*[A-Za-z]')
_BAR = re.compile(r'\d+%\|.*\| *\d+/\d+ \[')   # a tqdm progress line: `name:  40%|####      | 4/10 [00:01<00:02, ...]`


@functools.lru_cache(maxsize=None)
def _shared() -> str:
    "The read-only shared data folder (`lkseg_nb.config.shared_path()`), or ''."
    try:
        from lkseg_nb.config import shared_path
        p = shared_path(); return str(p.resolve()) if p else ''
    except Exception: return ''


def _paths(s: str, root: Path) -> str:
    """Absolute paths of this machine made relative: the checkout -> relative, the venv -> <venv>, the shared data
    folder -> <shared>, temp folders -> <tmp>, the home folder -> ~."""
    for base, rep in ((str(Path(sys.prefix).resolve()), '<venv>'), (sys.prefix, '<venv>'), (_shared(), '<shared>')):
        if base and base != '/': s = s.replace(base, rep)
    r = str(Path(root).resolve())
    s = re.sub(re.escape(r) + r'/?', '', s) if r != '/' else s
    s = re.sub(re.escape(tempfile.gettempdir().rstrip('/')) + r'/[^\s\'"/,)\]]+', '<tmp>', s)
    return s.replace(str(Path.home()), '~') if str(Path.home()) not in ('/', '') else s


def _cut(text: str) -> str:
    lines = re.split(r'(?<=\n)', text)
    if len(lines) > MAX_LINES:
        lines = lines[:KEEP_LINES] + [f'… ({len(lines) - 2 * KEEP_LINES} lines cut) …\n'] + lines[-KEEP_LINES:]
    text = ''.join(lines)
    if len(text) > MAX_CHARS: text = text[:MAX_CHARS // 2] + f'\n… ({len(text) - MAX_CHARS} characters cut) …\n' + text[-MAX_CHARS // 2:]
    return text


def clean_text(text: str, root: Path = ROOT) -> str:
    "No ANSI codes, only the last state of each carriage-return progress line, machine paths relative, long text cut."
    text = _ANSI.sub('', text)
    text = text.replace('\r\n', '\n')
    text = ''.join(l.rsplit('\r', 1)[-1] for l in re.split(r'(?<=\n)', text))   # not splitlines: it splits at '\r' too
    text = ''.join(l for l in re.split(r'(?<=\n)', text) if not _BAR.search(l))   # tqdm bars left on: their timings change every run
    return _cut(_paths(text, root))


def _shrink_png(b64: str) -> str:
    "PNGs wider than MAX_PNG_WIDTH are scaled down, and those over MAX_PNG_BYTES stored with a 256-colour palette (Pillow)."
    raw = base64.b64decode(b64)
    try:
        from PIL import Image
        im = Image.open(io.BytesIO(raw))
        if im.width <= MAX_PNG_WIDTH and len(raw) <= MAX_PNG_BYTES: return b64
        if im.width > MAX_PNG_WIDTH: im = im.resize((MAX_PNG_WIDTH, round(im.height * MAX_PNG_WIDTH / im.width)), Image.LANCZOS)
        buf = io.BytesIO(); im.save(buf, 'PNG', optimize=True)
        if buf.tell() > MAX_PNG_BYTES:
            buf = io.BytesIO(); im.convert('RGBA').quantize(256, method=Image.Quantize.FASTOCTREE).save(buf, 'PNG', optimize=True)
        return base64.b64encode(buf.getvalue()).decode() + '\n'
    except Exception: return b64


def _lines(text: str) -> list: return [l for l in re.split(r'(?<=\n)', text) if l]


def sanitize(outputs: list, root: Path = ROOT) -> list:
    "Outputs ready to store: see the module docstring."
    res = []
    for o in outputs:
        o = json.loads(json.dumps(o))
        if o.get('output_type') == 'stream':
            t = clean_text(''.join(o.get('text', '')), root)
            if not t.strip(): continue
            o['text'] = _lines(t)
        elif o.get('output_type') == 'error':
            o['traceback'] = [clean_text(t, root) for t in o.get('traceback', [])][-20:]
            o['evalue'] = clean_text(o.get('evalue', ''), root)
        else:
            data = o.get('data', {})
            for k, v in list(data.items()):
                if k in RICH:   # markup: cutting lines out would break it; keep it whole (paths cleaned) or drop it when huge
                    t = _paths(''.join(v) if isinstance(v, list) else v, root)
                    if len(t) > MAX_RICH_CHARS: del data[k]
                    else: data[k] = _lines(t)
                elif k.startswith('text/'): data[k] = _lines(clean_text(''.join(v) if isinstance(v, list) else v, root))
                elif k == 'image/png': data[k] = _shrink_png(''.join(v) if isinstance(v, list) else v)
            if 'execution_count' in o: o['execution_count'] = None
        res.append(o)
    return res
