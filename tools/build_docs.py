"""Build the documentation site offline: nbdev's own notebook processing, then a small pure-Python HTML renderer.

Plain script (pure mechanism, not a notebook): Quarto cannot be installed on these machines, so `nbdev_docs` fails.
This script
1. runs nbdev's processing (`FilterDefaults`: show_doc executed, hidden cells removed, frontmatter, doc links) on
   every notebook into `_proc/` -- one process per notebook (forked from a server that imported nbdev and torch once)
   so a failing notebook cannot stop the others (its page is then rendered without executed show_doc cells and
   carries a visible warning naming the error); a notebook is re-processed only when it changed;
2. renders each `_proc/*.ipynb` to `_docs/<output-file>.html` with Python-Markdown + Pygments, the sidebar read from
   `_quarto.yml`, and the `::: {.panel-tabset group="lang"}` blocks turned into working tabs (choosing a language
   once applies to every tabset of the page and is remembered in localStorage across pages);
3. checks every internal link and `#anchor` of the pages (a browser check of the whole site is
   tests/test_docs_browser.py).

Usage: python tools/build_docs.py [--out _docs] [--only index.ipynb 19a_viz.ipynb ...] [--force] [--strict] [--jobs 2]
Needs: nbdev (dev requirement), markdown and pygments (already installed with tensorboard / ipython).
"""
from __future__ import annotations
import argparse, hashlib, html, html.parser, json, os, re, shutil, subprocess, sys, tempfile, threading, time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import markdown
import yaml
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'
sys.path.insert(0, str(Path(__file__).resolve().parent))
import nb_outputs as NB_RULES   # noqa: E402  (which code cells must show an output)
LS_KEY = 'lkseg-tab-lang'

# ----------------------------------------------------------------------------------------------------------------
# 1. nbdev processing
#
# Where the time goes (measured on 2 CPU cores): nbdev's processing of a notebook itself takes about 1 s; starting a
# fresh Python that imports nbdev (~2 s) and then torch/spconv through the notebook's import cells (~4 s) took the
# rest, per notebook. So each notebook is processed in a process forked from a server that imported those heavy
# modules once (multiprocessing's forkserver with preloaded modules): a fresh process per notebook as before
# (a failing or crashing notebook cannot stop the others), without paying the imports 25 times.
# A notebook is re-processed only when its content, the package's symbol index (doc links) or this code changed.

_CHILD = r'''
import os, sys, signal
src, dst, mode, log, timeout = ARGS if 'ARGS' in globals() else sys.argv[1:6]
os.chdir(os.path.dirname(src)); os.environ['IN_TEST'] = '1'
sys.stdout.flush(); sys.stderr.flush()
_fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); os.dup2(_fd, 1); os.dup2(_fd, 2)   # show_doc chatter
def _alarm(*a): raise TimeoutError(f"nbdev processing took longer than {timeout} s")
signal.signal(signal.SIGALRM, _alarm); signal.alarm(int(timeout))
try:
    from execnb.nbio import read_nb, write_nb
    from nbdev.processors import FilterDefaults, exec_show_docs
    class NoExec(FilterDefaults):
        def base_procs(self): return [p for p in super().base_procs() if p is not exec_show_docs]
    nb = read_nb(src)
    (FilterDefaults if mode == 'full' else NoExec)()(nb)
    write_nb(nb, dst)
except BaseException as e:   # re-raised as a plain exception: it crosses the process boundary pickled
    def line(x): return f"{type(x).__name__}: " + (str(x).strip().splitlines() or [''])[0]
    c = e.__cause__ or e.__context__
    raise RuntimeError(line(e) + (f" ({line(c)})" if c is not None else '')) from None
finally: signal.alarm(0)
'''
# imported once by the fork server (a module that fails to import is skipped by multiprocessing; '__main__' is this
# script when run as one, so that its forked children need not run it again)
PRELOAD = ['__main__', 'execnb.nbio', 'execnb.shell', 'nbdev.processors', 'nbdev.showdoc', 'IPython', 'numpy', 'torch',
           'spconv.pytorch', 'yaml', 'tqdm']


def _pool(jobs: int):
    "Process pool whose workers are forked (one per notebook) from a server that preloaded `PRELOAD`."
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor
    ctx = mp.get_context('forkserver'); ctx.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(jobs, mp_context=ctx, max_tasks_per_child=1)


def cache_key(nb: Path) -> str:
    "What a processed notebook depends on: its content, the package's symbol index (doc links), nbdev, this code."
    import nbdev
    h = hashlib.sha256(nb.read_bytes())
    idx = ROOT / _lib_name() / '_modidx.py'
    h.update(idx.read_bytes() if idx.exists() else b'')
    h.update(_CHILD.encode() + nbdev.__version__.encode())
    return h.hexdigest()[:20]


def _lib_name() -> str:
    from configparser import ConfigParser
    cp = ConfigParser(); cp.read(ROOT / 'settings.ini')
    return cp['DEFAULT'].get('lib_path', cp['DEFAULT'].get('lib_name', 'lkseg_nb'))


def process_notebook(nb: Path, proc_dir: Path, force: bool = False, timeout: int = 900, pool=None) -> tuple:
    """Process one notebook into `proc_dir` (in a process of `pool`, else a fresh subprocess); returns
    (path, error message or '', seconds spent, 0 when up to date)."""
    dst, key = proc_dir / nb.name, cache_key(nb)
    if not force and (meta := _cached_meta(dst, key)) is not None: return dst, meta.get('lkseg_docs_error', ''), 0.0
    t0 = time.perf_counter()
    tag = f'{os.getpid()}.{threading.get_ident()}'   # unique: builds may run concurrently
    tmp, log = dst.with_name(f'.{dst.name}.{tag}.tmp'), dst.with_name(f'.{dst.name}.{tag}.log')

    def run(mode) -> str:
        "'' when it worked, else the error."
        args = [str(nb), str(tmp), mode, str(log), str(timeout)]
        if pool is not None:
            from concurrent.futures.process import BrokenProcessPool
            try:
                pool.submit(exec, _CHILD, {'ARGS': args}).result(); return ''   # builtins.exec pickles by name
            except BrokenProcessPool: pass        # the pool died (a crash): this notebook goes to a subprocess
            except Exception as e: return str(e)
        try: p = subprocess.run([sys.executable, '-c', _CHILD, *args], capture_output=True, text=True, timeout=timeout + 60)
        except subprocess.TimeoutExpired: return 'timed out'
        if not p.returncode: return ''
        how = f'killed by signal {-p.returncode}' if p.returncode < 0 else f'exit status {p.returncode}'
        lines = (log.read_text(encoding='utf-8', errors='replace') if log.exists() else '').strip().splitlines() or [how]
        return next((l for l in reversed(lines) if l.startswith('RuntimeError: ')), lines[-1]).removeprefix('RuntimeError: ')
    try:
        err = run('full')
        if err and (e2 := run('noexec')):
            tail = log.read_text(encoding='utf-8', errors='replace')[-3000:] if log.exists() else ''
            raise RuntimeError(f"{nb.name}: nbdev processing failed even without show_doc execution: {e2}\n{tail}")
        d = json.loads(tmp.read_text(encoding='utf-8'))
        d.setdefault('metadata', {}).update(lkseg_docs_error=err, lkseg_docs_key=key)
        tmp.write_text(json.dumps(d, ensure_ascii=False), encoding='utf-8')
        tmp.replace(dst)
    finally:
        for f in (tmp, log): f.unlink(missing_ok=True)
    return dst, err, time.perf_counter() - t0


def process_all(nbs: list, proc_dir: Path, force: bool = False, jobs: int = 2) -> dict:
    "`{name: (path, error, seconds)}` for the notebooks of `nbs/` named in `nbs`, `jobs` at a time, with a progress bar."
    from tqdm.auto import tqdm
    stale = [n for n in nbs if force or not _up_to_date(NBS / n, proc_dir)]
    res = {}
    pool = _pool(jobs) if len(stale) > 1 else None
    try:
        with ThreadPoolExecutor(max(1, jobs)) as ex, tqdm(total=len(nbs), desc='nbdev processing', unit='nb',
                                                          disable=None, leave=False) as bar:
            futs = {ex.submit(process_notebook, NBS / n, proc_dir, force, pool=pool if n in stale else None): n for n in nbs}
            for f in as_completed(futs):
                res[futs[f]] = f.result(); bar.update(1); bar.set_postfix_str(futs[f])
    finally:
        if pool is not None: pool.shutdown(cancel_futures=True)
    return {n: res[n] for n in nbs}


def _cached_meta(dst: Path, key: str):
    "Metadata of the processed notebook `dst` when it was made with cache key `key`, else None."
    try: meta = json.loads(dst.read_text(encoding='utf-8')).get('metadata', {})
    except (OSError, ValueError): return None
    return meta if meta.get('lkseg_docs_key') == key else None


def _up_to_date(nb: Path, proc_dir: Path) -> bool: return _cached_meta(proc_dir / nb.name, cache_key(nb)) is not None


# ----------------------------------------------------------------------------------------------------------------
# 2. rendering

def read_sidebar(quarto_yml: Path) -> list:
    "`[(section title or None, [notebook file names])]` in reading order from `_quarto.yml`'s sidebar."
    q = yaml.safe_load(quarto_yml.read_text(encoding='utf-8'))
    out = []
    for item in q['website']['sidebar']['contents']:
        if isinstance(item, str): out.append((None, [item]))
        else: out.append((item['section'], list(item['contents'])))
    return out


def slug(s: str, sep: str = '-') -> str:
    "Heading id as Quarto/Pandoc makes it (lower case, punctuation dropped except `_ - .`, spaces to '-')."
    s = re.sub(r'<[^>]+>', '', s).strip().lower()
    s = re.sub(r'[^\w\s.\-]', '', s)
    return re.sub(r'\s+', '-', s)


_TAB_RE = re.compile(r'^:::\s*\{\.panel-tabset([^}]*)\}\s*\n(.*?)^:::\s*$', re.S | re.M)


def _md(text: str) -> str:
    return markdown.markdown(text, extensions=['tables', 'fenced_code', 'toc', 'md_in_html'],
                             extension_configs={'toc': {'slugify': lambda v, sep: slug(v)}})


def render_markdown(src: str, fix_link) -> str:
    "Markdown with Quarto tabsets -> HTML (tabs: one button per `## heading` inside the block)."
    src = re.sub(r'\[([^\]]*)\]\(([^)\s]+)\)\{target="_blank"[^}]*\}', r'<a class="source-link" href="\2" target="_blank">\1</a>', src)
    out, pos = [], 0
    for m in _TAB_RE.finditer(src):
        out.append(_md(src[pos:m.start()]))
        group = re.search(r'group="([^"]+)"', m.group(1))
        parts = re.split(r'^##\s+(.+?)\s*$', m.group(2), flags=re.M)
        names, bodies = parts[1::2], parts[2::2]
        g = html.escape(group.group(1) if group else '')
        btns = ''.join(f'<button class="tab-btn{" active" if i == 0 else ""}" data-tab="{html.escape(n)}">{html.escape(n)}</button>'
                       for i, n in enumerate(names))
        panes = ''.join(f'<div class="tab-pane{" active" if i == 0 else ""}" data-tab="{html.escape(n)}">{_md(b)}</div>'
                        for i, (n, b) in enumerate(zip(names, bodies)))
        out.append(f'<div class="panel-tabset" data-group="{g}"><div class="tab-nav">{btns}</div>{panes}</div>')
        pos = m.end()
    out.append(_md(src[pos:]))
    res = ''.join(out)
    return re.sub(r'(href|src)="([^"]*)"', lambda m: f'{m.group(1)}="{fix_link(m.group(2))}"', res)


_FMT = HtmlFormatter(cssclass='highlight')


def _directives(src: str):
    lines = src.splitlines(); d = {}
    while lines and lines[0].startswith('#|'):
        k, _, v = lines.pop(0)[2:].partition(':'); d[k.strip()] = v.strip()
    return d, '\n'.join(lines)


def _text(x): return ''.join(x) if isinstance(x, list) else str(x)


def render_output(o: dict, fix_link) -> str:
    t = o.get('output_type')
    if t == 'stream': return f'<pre class="output stream">{html.escape(_text(o.get("text", "")))}</pre>'
    if t == 'error': return f'<pre class="output error">{html.escape(o.get("ename", ""))}: {html.escape(o.get("evalue", ""))}</pre>'
    data = o.get('data', {})
    if 'image/png' in data:   # IPython's Image(width=...) stores the display width in the output's metadata
        w = (o.get('metadata', {}).get('image/png') or {}).get('width')
        size = f' width="{int(w)}"' if isinstance(w, (int, float)) else ''
        return f'<img class="output" alt="output image"{size} src="data:image/png;base64,{_text(data["image/png"]).strip()}">'
    if 'image/svg+xml' in data: return f'<div class="output">{_text(data["image/svg+xml"])}</div>'
    if 'text/html' in data: return f'<div class="output html">{_text(data["text/html"])}</div>'
    if 'text/markdown' in data: return f'<div class="output md">{render_markdown(_text(data["text/markdown"]), fix_link)}</div>'
    if 'text/plain' in data: return f'<pre class="output">{html.escape(_text(data["text/plain"]))}</pre>'
    return ''


def _flags(c: dict) -> list:
    "Test flags of a processed cell: its own leading directives, or those its source notebook had (kept in metadata)."
    return c.get('metadata', {}).get('lkseg_flags') or NB_RULES.flags(_text(c.get('source', '')))


def render_cells(nb: dict, fix_link) -> tuple:
    "Body HTML and frontmatter dict of a processed notebook."
    fm, parts = {}, []
    for c in nb['cells']:
        src = _text(c.get('source', ''))
        if c['cell_type'] == 'raw' and src.startswith('---'):
            fm = yaml.safe_load(src.strip().strip('-')) or {}; continue
        if c['cell_type'] == 'markdown':
            parts.append(f'<div class="cell md">{render_markdown(src, fix_link)}</div>'); continue
        if c['cell_type'] != 'code': continue
        d, code = _directives(src)
        if d.get('include') == 'false': continue
        h = ''
        if d.get('echo') != 'false' and code.strip(): h += highlight(code, PythonLexer(), _FMT)
        if d.get('output') != 'false': h += ''.join(render_output(o, fix_link) for o in c.get('outputs', []))
        fl = _flags(c)
        if fl and code.strip():   # runs only where the flag's hardware/time is available: say where its output comes from
            f = ' '.join(fl)
            h += (f'<div class="flag-note">Output stored from a real run with <code>LKSEG_TEST_FLAGS={f}</code>. '
                  f'输出来自一次 <code>LKSEG_TEST_FLAGS={f}</code> 的真实运行。</div>' if c.get('outputs') else
                  f'<div class="flag-note">Runs with <code>LKSEG_TEST_FLAGS={f}</code> only; no output is stored here. '
                  f'仅在 <code>LKSEG_TEST_FLAGS={f}</code> 时运行，这里没有保存输出。</div>')
        # an example (a shown cell that is not a pure definition, tools/nb_outputs.py) must show an output: the
        # browser test fails on a `.cell.code.example` with no `.output`, i.e. code with an empty result under it
        ex = ' example' if d.get('output') != 'false' and NB_RULES.needs_output(src) and not fl else ''
        if h: parts.append(f'<div class="cell code{ex}">{h}</div>')
    return ''.join(parts), fm


def empty_examples(nb: dict) -> list:
    "First lines of the processed notebook's example cells that have no stored output (an empty box on the page)."
    return [_text(c['source']).strip().splitlines()[0][:80] for c in nb['cells'] if c['cell_type'] == 'code'
            and _directives(_text(c['source']))[0].get('output') != 'false' and NB_RULES.needs_output(_text(c['source']))
            and _directives(_text(c['source']))[0].get('include') != 'false' and not c.get('outputs') and not _flags(c)]


CSS = """
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans CJK SC',sans-serif;color:#212529;line-height:1.5}
header.navbar{background:#2780e3;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.5rem;align-items:center}
header.navbar a{color:#fff;text-decoration:none;font-weight:600}
.layout{display:flex;align-items:flex-start}
nav.sidebar{width:250px;flex:none;padding:1rem;border-right:1px solid #dee2e6;font-size:.9rem;position:sticky;top:0;max-height:100vh;overflow:auto}
nav.sidebar .section{font-weight:600;margin-top:.8rem}
nav.sidebar ul{list-style:none;padding-left:.6rem;margin:.2rem 0}
nav.sidebar a{text-decoration:none;color:#343a40}
nav.sidebar a.current{color:#2780e3;font-weight:600}
main{flex:1;min-width:0;padding:1rem 2rem;max-width:1000px}
.subtitle{color:#6c757d;font-size:1.1rem}
.highlight{background:#f8f9fa;border-radius:4px;padding:.1rem .6rem;overflow:auto}
pre.output{background:#fff;border-left:3px solid #dee2e6;padding:.3rem .6rem;overflow:auto;font-size:.85rem}
pre.output.error{border-color:#dc3545}
img.output{max-width:100%}
.flag-note{font-size:.8rem;color:#6c757d;border-left:3px solid #ffc107;padding:.2rem .6rem;margin-top:.2rem}
.panel-tabset{border:1px solid #dee2e6;border-radius:4px;margin:1rem 0}
.tab-nav{display:flex;border-bottom:1px solid #dee2e6;background:#f8f9fa}
.tab-btn{border:0;background:none;padding:.4rem 1rem;cursor:pointer;font-size:.95rem}
.tab-btn.active{border-bottom:2px solid #2780e3;color:#2780e3;font-weight:600}
.tab-pane{display:none;padding:.2rem 1rem}
.tab-pane.active{display:block}
.docs-warning{background:#fff3cd;border:1px solid #ffe69c;padding:.5rem 1rem;border-radius:4px}
a.source-link{float:right;font-size:smaller}
table{border-collapse:collapse}td,th{border:1px solid #dee2e6;padding:.2rem .5rem}
"""

JS = """
(function(){
  var KEY = '%s';
  function pick(group, tab, save){
    document.querySelectorAll('.panel-tabset[data-group="'+group+'"]').forEach(function(ts){
      if(!ts.querySelector('.tab-btn[data-tab="'+tab+'"]')) return;
      ts.querySelectorAll('.tab-btn').forEach(function(b){ b.classList.toggle('active', b.dataset.tab===tab); });
      ts.querySelectorAll('.tab-pane').forEach(function(p){ p.classList.toggle('active', p.dataset.tab===tab); });
    });
    if(save){ try{ localStorage.setItem(KEY+':'+group, tab); }catch(e){} }
    document.body.dataset['tab_'+group] = tab;
  }
  document.addEventListener('click', function(ev){
    var b = ev.target.closest('.tab-btn'); if(!b) return;
    var ts = b.closest('.panel-tabset'); var g = ts.dataset.group;
    if(g){ pick(g, b.dataset.tab, true); }
    else { ts.querySelectorAll('.tab-btn').forEach(function(x){x.classList.toggle('active', x===b);});
           ts.querySelectorAll('.tab-pane').forEach(function(p){p.classList.toggle('active', p.dataset.tab===b.dataset.tab);}); }
  });
  document.addEventListener('DOMContentLoaded', function(){
    var groups = {};
    document.querySelectorAll('.panel-tabset[data-group]').forEach(function(t){ if(t.dataset.group) groups[t.dataset.group]=1; });
    Object.keys(groups).forEach(function(g){
      var saved = null; try{ saved = localStorage.getItem(KEY+':'+g); }catch(e){}
      if(saved) pick(g, saved, false);
    });
  });
})();
""" % LS_KEY


def page(title, subtitle, body, nav_html, site_title, warning=''):
    warn = f'<div class="docs-warning">⚠ {html.escape(warning)}</div>' if warning else ''
    sub = f'<div class="subtitle">{_md(str(subtitle))}</div>' if subtitle else ''
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} – {html.escape(site_title)}</title>
<link rel="stylesheet" href="site.css"><link rel="stylesheet" href="pygments.css"><link rel="stylesheet" href="styles.css">
<script src="tabs.js"></script></head>
<body><header class="navbar"><a href="index.html">{html.escape(site_title)}</a><a href="index.html">Home</a></header>
<div class="layout">{nav_html}<main><h1 class="title">{html.escape(title)}</h1>{sub}{warn}{body}</main></div>
</body></html>
"""


def out_name(nb_name: str, fm: dict) -> str:
    if fm.get('output-file'): return fm['output-file']
    stem = Path(nb_name).stem
    return re.sub(r'^\d+[a-z]?_', '', stem) + '.html'


def build(out: Path, only=None, force=False, jobs=2) -> dict:
    """Process and render the notebooks of `_quarto.yml`'s sidebar into `out`; returns a summary: pages written,
    pages whose show_doc could not run (`warnings`), internal links checked and broken, seconds per notebook."""
    t0 = time.perf_counter()
    qy = ROOT / '_quarto.yml'
    q = yaml.safe_load(qy.read_text(encoding='utf-8'))
    site_title = q.get('website', {}).get('title', 'docs')
    sidebar = read_sidebar(qy)
    listed = [n for _, ns in sidebar for n in ns]
    missing = [n for n in listed if not (NBS / n).exists()]
    if missing:   # e.g. a stage still being written: say so, build the rest
        print(f"WARNING: _quarto.yml lists notebooks missing from nbs/ (skipped): {missing}", file=sys.stderr)
        sidebar = [(s, [n for n in ns if n not in missing]) for s, ns in sidebar]
        listed = [n for n in listed if n not in missing]
    if only:
        bad = [n for n in only if n not in listed]
        if bad: raise ValueError(f"--only {bad}: not in _quarto.yml's sidebar {listed}")
        sidebar = [(s, [n for n in ns if n in only]) for s, ns in sidebar]
        sidebar = [(s, ns) for s, ns in sidebar if ns]
    nbs = [n for _, ns in sidebar for n in ns]
    proc = ROOT / '_proc'; proc.mkdir(exist_ok=True)
    t1 = time.perf_counter()
    results = process_all(nbs, proc, force, jobs)
    t_proc = time.perf_counter() - t1
    # names and frontmatter first (links and sidebar need every page's output file)
    loaded = {n: json.loads(results[n][0].read_text(encoding='utf-8')) for n in nbs}
    for n in nbs:   # nbdev's processing drops `#| slow`/`#| cuda`/`#| multigpu`: keep them, from the source notebook, in metadata
        try: src_flags = {c.get('id'): NB_RULES.flags(_text(c.get('source', ''))) for c in json.loads((NBS / n).read_text(encoding='utf-8'))['cells']}
        except (OSError, ValueError, KeyError): src_flags = {}
        for c in loaded[n]['cells']:
            if src_flags.get(c.get('id')): c.setdefault('metadata', {})['lkseg_flags'] = src_flags[c.get('id')]
    fms = {}
    for n in nbs:
        raw = next((c for c in loaded[n]['cells'] if c['cell_type'] == 'raw' and _text(c['source']).startswith('---')), None)
        fms[n] = (yaml.safe_load(_text(raw['source']).strip().strip('-')) or {}) if raw else {}
    names = {n: out_name(n, fms[n]) for n in nbs}
    doc_prefix = None
    try:
        from configparser import ConfigParser
        cp = ConfigParser(); cp.read(ROOT / 'settings.ini')
        doc_prefix = cp['DEFAULT'].get('doc_host', '').rstrip('/') + '/' + cp['DEFAULT'].get('doc_baseurl', '/').strip('/')
        doc_prefix = doc_prefix.rstrip('/') + '/'
    except Exception: pass

    def fix_link(u: str) -> str:
        if doc_prefix and u.startswith(doc_prefix): u = u[len(doc_prefix):]
        base, _, frag = u.partition('#')
        if base.endswith('.ipynb') and '/' not in base and base in names: base = names[base]
        return base + ('#' + frag if frag else '')

    tmp = Path(tempfile.mkdtemp(prefix='.docs_', dir=out.parent if out.parent.exists() else None)); os.chmod(tmp, 0o755)
    try:
        (tmp / 'site.css').write_text(CSS, encoding='utf-8')
        (tmp / 'pygments.css').write_text(_FMT.get_style_defs('.highlight'), encoding='utf-8')
        (tmp / 'tabs.js').write_text(JS, encoding='utf-8')
        st = NBS / 'styles.css'
        (tmp / 'styles.css').write_text(st.read_text(encoding='utf-8') if st.exists() else '', encoding='utf-8')
        if (NBS / 'images').is_dir(): shutil.copytree(NBS / 'images', tmp / 'images')   # pictures the prose links (index: images/main_job.png)
        summary = {'pages': [], 'warnings': {}, 'all_pages': sorted(set(names.values()) | {out_name(n, {}) for n in listed}),
                   'timings': {n: round(results[n][2], 2) for n in nbs}, 'process_seconds': round(t_proc, 1)}
        for n in nbs:
            body, fm = render_cells(loaded[n], fix_link)
            nav = ['<nav class="sidebar">']
            for sec, ns in sidebar:
                if sec: nav.append(f'<div class="section">{html.escape(sec)}</div>')
                nav.append('<ul>' + ''.join(
                    f'<li><a href="{names[m]}"{" class=current" if m == n else ""}>{html.escape(str(fms[m].get("title", m)))}</a></li>'
                    for m in ns) + '</ul>')
            nav.append('</nav>')
            err = results[n][1]
            warning = f"API docs of this page were rendered without executing show_doc: {err}" if err else ''
            if warning: summary['warnings'][n] = err
            if (empty := empty_examples(loaded[n])): summary.setdefault('empty_outputs', {})[names[n]] = empty
            title = str(fm.get('title', n))
            (tmp / names[n]).write_text(page(title, fm.get('description', ''), body, ''.join(nav), site_title, warning), encoding='utf-8')
            summary['pages'].append(names[n])
        if 'index.html' not in summary['pages'] and summary['pages']:
            (tmp / 'index.html').write_text(f'<!DOCTYPE html><meta http-equiv="refresh" content="0; url={summary["pages"][0]}">'
                                            f'<a href="{summary["pages"][0]}">{summary["pages"][0]}</a>', encoding='utf-8')
        summary['links'], summary['broken_links'] = check_links(tmp, set(summary['all_pages']) - set(summary['pages']))
        _swap_in(tmp, out)
    finally:
        if tmp.exists(): shutil.rmtree(tmp, ignore_errors=True)
    summary['seconds'] = round(time.perf_counter() - t0, 1)
    return summary


def _swap_in(new: Path, out: Path, tries: int = 5):
    "Replace the folder `out` by `new` (a concurrent build may swap its own in between: retry)."
    for i in range(tries):
        if out.exists():
            old = out.with_name(f'.{out.name}.old.{os.getpid()}.{i}')
            try: out.rename(old)
            except FileNotFoundError: pass
            else: shutil.rmtree(old, ignore_errors=True)
        try: new.rename(out); return
        except OSError:
            if i == tries - 1: raise


class _Links(html.parser.HTMLParser):
    "Links (`href`/`src`) and element ids of one HTML page."
    def __init__(self):
        super().__init__(); self.links, self.ids = [], set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get('id'): self.ids.add(a['id'])
        for k in ('href', 'src'):
            if a.get(k): self.links.append(a[k])


def page_links(f: Path) -> _Links:
    "Parse one page of the site for its links and ids."
    p = _Links(); p.feed(f.read_text(encoding='utf-8')); return p


def check_links(site: Path, unbuilt=frozenset()) -> tuple:
    """Check every internal link of the HTML pages in `site`: its file exists and its `#anchor` is an id of the
    target page. Links to pages in `unbuilt` (a partial build) are not checked. Returns (number of internal links
    checked, ["page: link (why)", ...])."""
    parsed = {f.name: page_links(f) for f in sorted(site.glob('*.html'))}
    n, broken = 0, []
    for name, p in parsed.items():
        for u in p.links:
            if re.match(r'^([a-z][a-z0-9+.-]*:|//)', u, re.I): continue   # http:, data:, mailto:, ...
            base, _, frag = u.partition('#')
            target = base or name
            if target in unbuilt: continue
            n += 1
            if not (site / target).exists(): broken.append(f"{name}: {u} (no such file)")
            elif frag and target.endswith('.html') and frag not in parsed[target].ids:
                broken.append(f"{name}: {u} (no id {frag!r} in {target})")
    return n, broken


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(ROOT / '_docs'), help='output folder (replaced)')
    ap.add_argument('--only', nargs='*', help='build only these notebooks (file names as in _quarto.yml)')
    ap.add_argument('--force', action='store_true', help='re-process notebooks even when _proc/ is up to date')
    ap.add_argument('--strict', action='store_true', help='exit 1 when a page could not execute its show_doc cells, a link is broken '
                    'or an example cell has no stored output')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks processed at a time')
    a = ap.parse_args(argv)
    s = build(Path(a.out).resolve(), a.only, a.force, a.jobs)
    done = {n: t for n, t in s['timings'].items() if t}
    slow = ', '.join(f'{n} {t:.1f}s' for n, t in sorted(done.items(), key=lambda x: -x[1])[:3])
    print(f"{len(s['pages'])} pages -> {a.out} in {s['seconds']} s (nbdev processing {s['process_seconds']} s: "
          f"{len(done)} notebooks re-processed, {len(s['timings']) - len(done)} up to date{'; slowest ' + slow if slow else ''}); "
          f"{s['links']} internal links checked, {len(s['broken_links'])} broken")
    for n, e in s['warnings'].items(): print(f"WARNING {n}: show_doc not executed: {e}", file=sys.stderr)
    for b in s['broken_links']: print(f"WARNING broken link: {b}", file=sys.stderr)
    for p, e in s.get('empty_outputs', {}).items():
        print(f"WARNING {p}: {len(e)} example cell(s) with no stored output (python tools/refresh_outputs.py): {e[:3]}", file=sys.stderr)
    return 1 if (a.strict and (s['warnings'] or s['broken_links'] or s.get('empty_outputs'))) else 0


if __name__ == '__main__':
    sys.exit(main())
