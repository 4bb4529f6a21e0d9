"""Generate README.md from nbs/index.ipynb without Quarto (which cannot be installed offline here).

Pure mechanism, so a plain script: it reads the notebook with nbdev's own reader, drops `#| hide` cells, the
directive lines and markdown cells that start with `<!-- docs-only -->` (kept on the docs site only, to hold the README
under 5 KB), keeps the English tab of each `::: {.panel-tabset}` block (the README reads in one language and the
docs site carries both), rewrites relative links (`20_main.ipynb`, `images/x.png`) to point into `nbs/` from the
repository root, and renders code cells as ```python blocks followed by their stored text outputs.
`python tools/make_readme.py --check` exits 1 when README.md is out of date."""
import re, sys
from pathlib import Path
from execnb.nbio import read_nb

ROOT = Path(__file__).resolve().parents[1]
LANG = 'English'
DOCS_ONLY = '<!-- docs-only -->'
MAX_BYTES = 5000

def nbs_links(md: str) -> str:
    "Relative markdown link and image targets, written for nbs/, rewritten for the repository root."
    return re.sub(r'(\]\()(?![a-z][a-z0-9+.-]*:|/|#|nbs/)([^)\s]+)', r'\1nbs/\2', md)

def english_only(md: str) -> str:
    out, i, lines = [], 0, md.split('\n')
    while i < len(lines):
        if lines[i].startswith(':::') and 'panel-tabset' in lines[i]:
            j = i + 1; tabs = {}; cur = None
            while j < len(lines) and not lines[j].startswith(':::'):
                m = re.match(r'^## (.+)$', lines[j])
                if m: cur = m.group(1).strip(); tabs[cur] = []
                elif cur is not None: tabs[cur].append(lines[j])
                j += 1
            tab = tabs.get(LANG, next(iter(tabs.values()), []))
            while tab and not tab[0].strip(): tab = tab[1:]     # blank lines around a tab (Pandoc wants them around
            while tab and not tab[-1].strip(): tab = tab[:-1]   # headings and fences) are not the README's
            out += tab
            i = j + 1
        else: out.append(lines[i]); i += 1
    return '\n'.join(out).strip()

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    nb, parts = read_nb(nb_path), []
    for c in nb.cells:
        src = c.source
        if c.cell_type == 'markdown':
            if src.lstrip().startswith(DOCS_ONLY): continue
            parts.append(nbs_links(english_only(src)))
        elif c.cell_type == 'code':
            if re.search(r'^#\|\s*hide', src, re.M): continue
            code = '\n'.join(l for l in src.split('\n') if not l.startswith('#|')).strip()
            if code: parts.append(f"```python\n{code}\n```")
            outs = []
            for o in c.get('outputs', []):
                if o.get('output_type') == 'stream': outs.append(''.join(o.get('text', '')))
                elif 'data' in o and 'text/plain' in o['data']: outs.append(''.join(o['data']['text/plain']))
            if outs: parts.append("```\n" + '\n'.join(x.rstrip() for x in outs) + "\n```")
    head = "<!-- generated from nbs/index.ipynb by tools/make_readme.py; do not edit -->\n"
    return head + '\n\n'.join(p for p in parts if p) + '\n'

if __name__ == '__main__':
    text, out = render(), ROOT/'README.md'
    if '--check' in sys.argv:
        ok = out.exists() and out.read_text() == text
        if not ok: print("README.md is out of date with nbs/index.ipynb: run python tools/make_readme.py")
        sys.exit(0 if ok else 1)
    out.write_text(text); print(f"wrote {out} ({len(text.encode())} bytes)")
    if len(text.encode()) > MAX_BYTES: print(f"WARNING: README.md is over {MAX_BYTES} bytes: mark more cells of nbs/index.ipynb {DOCS_ONLY}")
