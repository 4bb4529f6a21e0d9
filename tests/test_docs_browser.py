"""The documentation site, built offline by tools/build_docs.py, checked in headless Chromium.

Builds a small site (home page + two stage pages) into a temp folder, then: every notebook of nbs/ is in the
_quarto.yml sidebar; no internal link or anchor is broken; Chromium renders the home page and a stage page to
non-blank screenshots; clicking "English" switches every language tabset of the page, and the choice is remembered
(localStorage) when another page is opened. Chromium tests skip with a reason when it is not installed
(apt-get install -y chromium chromium-driver).
"""
import html.parser, importlib.util, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.xdist_group('docs')   # one worker builds the module's site (scripts/test.sh: --dist loadgroup)
ROOT = Path(__file__).resolve().parents[1]
PAGES = ['index.ipynb', '19_plots.ipynb', '22_viz.ipynb']
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync']


def _load_builder():
    spec = importlib.util.spec_from_file_location('build_docs', ROOT / 'tools' / 'build_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m


@pytest.fixture(scope='module')
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp('docs') / '_docs'
    summary = _load_builder().build(out, only=PAGES)
    return out, summary


def test_sidebar_lists_every_notebook():
    q = yaml.safe_load((ROOT / '_quarto.yml').read_text(encoding='utf-8'))
    listed = []
    for item in q['website']['sidebar']['contents']:
        listed += [item] if isinstance(item, str) else item['contents']
    on_disk = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb'))
    assert not set(on_disk) - set(listed), f"notebooks missing from _quarto.yml's sidebar: {sorted(set(on_disk) - set(listed))}"
    assert listed[0] == 'index.ipynb' and len(listed) == len(set(listed))


class _Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(); self.links, self.ids = [], set()
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if 'id' in a: self.ids.add(a['id'])
        for k in ('href', 'src'):
            if a.get(k): self.links.append(a[k])


def test_pages_built_and_links(site):
    out, summary = site
    assert {'index.html', 'plots.html', 'viz.html'} <= set(summary['pages'])
    assert not summary['warnings'], summary['warnings']   # show_doc ran on these pages
    parsed = {}
    for f in out.glob('*.html'):
        p = _Links(); p.feed(f.read_text(encoding='utf-8')); parsed[f.name] = p
    unbuilt = set(summary['all_pages']) - set(summary['pages'])
    broken = []
    for name, p in parsed.items():
        for u in p.links:
            if re.match(r'^(https?:|data:|mailto:|javascript:)', u): continue
            base, _, frag = u.partition('#')
            target = name if not base else base
            if not (out / target).exists():
                if target not in unbuilt: broken.append(f"{name}: {u} (no file)")
                continue   # a page of the full site that this small build leaves out
            if frag and target in parsed and frag not in parsed[target].ids: broken.append(f"{name}: {u} (no anchor)")
    assert not broken, broken
    viz = (out / 'viz.html').read_text(encoding='utf-8')
    assert 'id="render_views"' in viz, "show_doc of render_views missing from the viz page"   # nbdev's API docs
    assert 'class="panel-tabset" data-group="lang"' in viz and 'data:image/png;base64,' in viz
    assert '#| hide' not in viz and 'test_eq(' not in viz, "hidden cells leaked into the page"


def _chrome(args, profile, timeout=60):
    if CHROMIUM is None: pytest.skip('chromium is not installed (apt-get install -y chromium chromium-driver)')
    r = subprocess.run([CHROMIUM, *FLAGS, f'--user-data-dir={profile}', *args], capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr[-2000:]
    return r.stdout


def test_screenshots(site, tmp_path):
    out, _ = site
    import matplotlib.pyplot as plt
    for page in ('index.html', 'viz.html'):
        png = tmp_path / f'{page}.png'
        _chrome([f'--screenshot={png}', '--window-size=1280,900', '--hide-scrollbars', (out / page).as_uri()], tmp_path / 'prof')
        img = plt.imread(png)
        assert img.shape[:2] == (900, 1280), img.shape
        assert img[..., :3].std() > 0.05, f"{page} screenshot looks blank"
        print('screenshot', png)


_PROBE = """<script>
document.addEventListener('DOMContentLoaded', function(){ setTimeout(function(){
  var ts = Array.from(document.querySelectorAll('.panel-tabset[data-group="lang"]'));
  var before = ts.map(function(t){ return t.querySelector('.tab-pane.active').dataset.tab; });
  if (%s) { var b = ts[0].querySelector('.tab-btn[data-tab="English"]'); b.click(); }
  var after = ts.map(function(t){ return t.querySelector('.tab-pane.active').dataset.tab; });
  var visible = ts.map(function(t){ var p = t.querySelector('.tab-pane[data-tab="English"]'); return getComputedStyle(p).display; });
  var r = document.createElement('pre'); r.id = 'probe';
  r.textContent = JSON.stringify({n: ts.length, before: before, after: after, visible: visible,
                                  stored: localStorage.getItem('lkseg-tab-lang:lang')});
  document.body.appendChild(r);
}, 0); });
</script></body>"""


def _probe_page(out, page, click):
    src = (out / page).read_text(encoding='utf-8').replace('</body>', _PROBE % ('true' if click else 'false'))
    f = out / f'probe_{"click" if click else "load"}_{page}'
    f.write_text(src, encoding='utf-8')
    return f


def _probe(dom):
    m = re.search(r'<pre id="probe">(.*?)</pre>', dom, re.S)
    assert m, 'probe did not run'
    return json.loads(m.group(1).replace('&quot;', '"').replace('&amp;', '&'))


def test_language_tabs_switch_and_persist(site, tmp_path):
    out, _ = site
    prof = tmp_path / 'prof'
    first = _probe(_chrome(['--dump-dom', '--virtual-time-budget=2000', _probe_page(out, 'viz.html', True).as_uri()], prof))
    assert first['n'] >= 3, first
    assert set(first['before']) == {'中文'}, first          # Chinese is the first tab
    assert set(first['after']) == {'English'}, first       # one click switched every tabset of the page
    assert set(first['visible']) == {'block'}, first
    assert first['stored'] == 'English'
    second = _probe(_chrome(['--dump-dom', '--virtual-time-budget=2000', _probe_page(out, 'plots.html', False).as_uri()], prof))
    assert second['n'] >= 1 and set(second['before']) == {'English'}, second   # remembered on another page
