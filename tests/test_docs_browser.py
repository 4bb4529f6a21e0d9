"""The documentation site, built offline by tools/build_docs.py, checked in headless Chromium -- every page.

Builds the FULL site into `_docs/` (as `python tools/build_docs.py` does; notebooks unchanged since the last build
are not re-processed), then:
- every notebook of nbs/ is in the `_quarto.yml` sidebar and has its page, with show_doc executed;
- the builder's link check: every internal link and `#anchor` of every page resolves (and that check can fail);
- in Chromium, driven through chromedriver (W3C WebDriver over HTTP, no extra Python package): every page loads with
  no JavaScript error and no failed resource, no broken image, a non-blank screenshot saved as
  `_docs/_screenshots/<page>.png`; every internal link and anchor resolves against the live DOM of the target page;
  no empty output box: every example cell (a shown code cell that is not a pure definition, tools/nb_outputs.py's
  rule; the builder marks it `.example`) shows an output, and no output area is empty; a page with prose has
  language tabsets, each with both a 中文 and an English tab that hold text;
- on a stage page, clicking "English" switches every language tabset, the choice is remembered on another page,
  clicking "中文" switches back (screenshots `<page>-zh.png`, `<page>-en.png`), and Chinese text renders with real
  CJK glyphs (Debian fonts-noto-cjk), not the empty boxes of a missing font.
Chromium tests skip with a reason when chromium / chromedriver are not installed
(apt-get install -y chromium chromium-driver fonts-noto-cjk; scripts/env.sh does it when run as root).
"""
import base64, fcntl, hashlib, importlib.util, json, os, re, shutil, socket, subprocess, tempfile, time, urllib.error, urllib.request
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.xdist_group('docs')   # meant to keep these on one worker (--dist loadgroup); not relied on: see `site`
ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
CHROMEDRIVER = shutil.which('chromedriver')
STAGE = 'viz.html'            # the stage page whose language tabs are clicked
OTHER = 'plots.html'          # ... and the page that must remember the choice
SHOTS = '_screenshots'


_wspec = importlib.util.spec_from_file_location('webdriver', ROOT / 'tools' / 'webdriver.py')
_wd = importlib.util.module_from_spec(_wspec); _wspec.loader.exec_module(_wd)
WebDriver = _wd.WebDriver


def _load_builder():
    spec = importlib.util.spec_from_file_location('build_docs', ROOT / 'tools' / 'build_docs.py')
    m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)
    return m


def _sidebar():
    q = yaml.safe_load((ROOT / '_quarto.yml').read_text(encoding='utf-8'))
    listed = []
    for item in q['website']['sidebar']['contents']:
        listed += [item] if isinstance(item, str) else item['contents']
    return listed


@pytest.fixture(scope='module')
def site():
    """Build `_docs/` once per test session, even when xdist spreads this module's tests over several workers.

    The `xdist_group` mark above is not honoured by pytest 9.2 + pytest-xdist 3.8 (checked: grouped tests land on
    both workers), and a second worker's build swaps `_docs/` away under the first worker's screenshots. So workers
    take a file lock; the first builds and leaves a marker named after the session (`PYTEST_XDIST_TESTRUNUID`), the
    others read its summary instead of building again."""
    out = ROOT / '_docs'
    run = os.environ.get('PYTEST_XDIST_TESTRUNUID')
    lock = Path(tempfile.gettempdir()) / f"lkseg_docs_{hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]}.lock"
    with open(lock, 'w') as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        done = out / f'.built-{run}.json' if run else None
        if done is not None and done.exists():
            summary = json.loads(done.read_text(encoding='utf-8'))
        else:
            summary = _load_builder().build(out)
            if done is not None: done.write_text(json.dumps(summary), encoding='utf-8')
    print(f"docs: {len(summary['pages'])} pages in {summary['seconds']} s (nbdev processing {summary['process_seconds']} s)")
    return out, summary


def test_sidebar_lists_every_notebook():
    listed = _sidebar()
    on_disk = sorted(p.name for p in (ROOT / 'nbs').glob('*.ipynb'))
    assert not set(on_disk) - set(listed), f"notebooks missing from _quarto.yml's sidebar: {sorted(set(on_disk) - set(listed))}"
    assert listed[0] == 'index.ipynb' and len(listed) == len(set(listed))


def test_link_check_catches_broken_links(tmp_path):
    "The builder's link check reports a missing page and a missing anchor (e.g. a doc link to a private symbol)."
    (tmp_path / 'a.html').write_text('<a href="b.html#there">ok</a><a href="b.html#_private_fn">x</a>'
                                     '<a href="gone.html">x</a><a href="#top">ok</a><img src="data:image/png;base64,AA">'
                                     '<a href="https://example.org/x#y">external</a><h1 id="top">t</h1>', encoding='utf-8')
    (tmp_path / 'b.html').write_text('<h2 id="there">there</h2>', encoding='utf-8')
    n, broken = _load_builder().check_links(tmp_path)
    assert n == 4, n
    assert sorted(broken) == ["a.html: b.html#_private_fn (no id '_private_fn' in b.html)", 'a.html: gone.html (no such file)'], broken


def test_every_page_built_and_links(site):
    out, summary = site
    b = _load_builder()
    present = [n for n in _sidebar() if (ROOT / 'nbs' / n).exists()]
    assert len(summary['pages']) == len(present) and {'index.html', 'plots.html', 'viz.html'} <= set(summary['pages'])
    assert not summary['warnings'], summary['warnings']   # show_doc ran on every page
    assert not summary['broken_links'], summary['broken_links']
    n, broken = b.check_links(out)                          # the site as it is on disk now
    assert not broken, broken
    assert n >= 20 * len(summary['pages']), f"only {n} internal links in {len(summary['pages'])} pages"
    viz = (out / 'viz.html').read_text(encoding='utf-8')
    assert 'id="render_views"' in viz, "show_doc of render_views missing from the viz page"   # nbdev's API docs
    assert 'class="panel-tabset" data-group="lang"' in viz and 'data:image/png;base64,' in viz
    for p in summary['pages']:
        h = (out / p).read_text(encoding='utf-8')
        assert '#| hide' not in h and 'test_eq(' not in h, f"hidden cells leaked into {p}"


# ---------------------------------------------------------------------------------------------------------------
# Chromium through chromedriver (W3C WebDriver: JSON over HTTP)

_PAGE_INFO = """
var u = function(s){ return Array.from(document.querySelectorAll(s)); };
return {ready: document.readyState, errs: window.__errs || null, title: document.title,
        ids: u('[id]').map(function(e){ return e.id; }),
        links: u('[href]').map(function(e){ return e.getAttribute('href'); })
                 .concat(u('[src]').map(function(e){ return e.getAttribute('src'); })),
        bad_images: u('img').filter(function(i){ return !i.complete || i.naturalWidth === 0; })
                      .map(function(i){ return (i.getAttribute('src') || '').slice(0, 60); }),
        stylesheets: document.styleSheets.length, tabsets: u('.panel-tabset').length,
        sidebar: u('nav.sidebar a').length, text: document.body.innerText.length,
        // an example cell (tools/nb_outputs.py's rule, marked by the builder) with no output: code over an empty box
        no_output: u('.cell.code.example').filter(function(c){ return !c.querySelector('.output'); })
                     .map(function(c){ return (c.innerText || '').trim().split('\\n')[0].slice(0, 80); }),
        // an output area with nothing in it (no text, picture or table)
        blank_outputs: u('.cell.code .output').filter(function(o){
                         if (o.tagName === 'IMG') return !(o.complete && o.naturalWidth > 0);
                         return !(o.innerText.trim().length || o.querySelector('img,svg,table,canvas')); })
                       .map(function(o){ return o.outerHTML.slice(0, 80); }),
        paragraphs: u('.cell.md p').filter(function(p){ return !p.closest('blockquote') && p.innerText.trim().length > 40; }).length,
        lang_tabsets: u('.panel-tabset[data-group="lang"]').map(function(t){
                        return Array.from(t.querySelectorAll(':scope > .tab-pane')).map(function(p){
                          return p.dataset.tab + ':' + (p.textContent.trim().length > 0 ? 'text' : 'empty'); }).sort().join(' '); })};
"""

_TABS = """
var ts = Array.from(document.querySelectorAll('.panel-tabset[data-group="lang"]'));
var shown = function(t, name){ var p = t.querySelector('.tab-pane[data-tab="' + name + '"]');
                                 return p ? getComputedStyle(p).display : null; };
return {n: ts.length, active: ts.map(function(t){ return t.querySelector('.tab-pane.active').dataset.tab; }),
        zh: ts.map(function(t){ return shown(t, '中文'); }), en: ts.map(function(t){ return shown(t, 'English'); }),
        stored: localStorage.getItem('lkseg-tab-lang:lang')};
"""


@pytest.fixture(scope='module')
def browser(tmp_path_factory):
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip('chromium / chromedriver not installed (apt-get install -y chromium chromium-driver)')
    wd = WebDriver(tmp_path_factory.mktemp('chromium-profile'))
    yield wd
    wd.close()


def _not_blank(png: Path):
    import matplotlib.pyplot as plt
    img = plt.imread(png)
    assert img.shape[:2] == (900, 1280), (png, img.shape)
    assert img[..., :3].std() > 0.05, f"{png.name} looks blank"


def test_browser_every_page(site, browser):
    "Every page: loads, no JS error or failed resource, no broken image, sidebar, screenshot; links and anchors resolve."
    out, summary = site
    shots = out / SHOTS; shots.mkdir(exist_ok=True)
    browser.log()
    info, problems = {}, []
    for page in summary['pages']:
        browser.get((out / page).as_uri())
        i = info[page] = browser.js(_PAGE_INFO)
        severe = [e['message'] for e in browser.log() if e.get('level') == 'SEVERE']
        if i['ready'] != 'complete': problems.append(f"{page}: readyState {i['ready']}")
        if i['errs'] is None: problems.append(f"{page}: error recorder did not run")
        for e in (i['errs'] or []) + severe: problems.append(f"{page}: {e}")
        if i['bad_images']: problems.append(f"{page}: images not loaded {i['bad_images']}")
        if i['stylesheets'] < 3: problems.append(f"{page}: {i['stylesheets']} stylesheets loaded")
        if i['sidebar'] != len(summary['pages']): problems.append(f"{page}: {i['sidebar']} sidebar links")
        if i['text'] < 200: problems.append(f"{page}: almost no text ({i['text']} characters)")
        for c in i['no_output']: problems.append(f"{page}: example cell with no output (empty box): {c!r} -- python tools/refresh_outputs.py")
        for o in i['blank_outputs']: problems.append(f"{page}: empty output box {o!r}")
        if i['paragraphs'] and not i['lang_tabsets']: problems.append(f"{page}: prose but no 中文/English tabset")
        for t in i['lang_tabsets']:
            if t != 'English:text 中文:text': problems.append(f"{page}: a language tabset without both tabs filled ({t})")
        browser.screenshot(shots / page.replace('.html', '.png'))
        _not_blank(shots / page.replace('.html', '.png'))
    n = 0
    for page, i in info.items():       # links against the live DOM of every page
        for u in i['links']:
            if re.match(r'^([a-z][a-z0-9+.-]*:|//)', u, re.I): continue
            base, _, frag = u.partition('#')
            target = base or page
            n += 1
            if not (out / target).exists(): problems.append(f"{page}: {u} (no such file)")
            elif frag and target.endswith('.html') and frag not in info[target]['ids']: problems.append(f"{page}: {u} (no anchor)")
    report = dict(pages=len(info), internal_links=n, problems=problems, screenshots=str(shots))
    (shots / 'report.json').write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding='utf-8')
    print(f"browser: {len(info)} pages, {n} internal links and anchors checked, {len(problems)} problems, screenshots in {shots}")
    assert not problems, problems
    assert n >= 20 * len(info)


def test_language_tabs_switch_and_persist(site, browser):
    out, _ = site
    shots = out / SHOTS; shots.mkdir(exist_ok=True)
    browser.get((out / STAGE).as_uri()); browser.js('localStorage.clear()'); browser.get((out / STAGE).as_uri())
    first = browser.js(_TABS)
    assert first['n'] >= 3, first
    assert set(first['active']) == {'中文'} and set(first['zh']) == {'block'} and set(first['en']) == {'none'}, first
    browser.js("document.querySelector('.panel-tabset[data-group=\"lang\"]').scrollIntoView()")
    browser.screenshot(shots / STAGE.replace('.html', '-zh.png'))
    browser.click('.panel-tabset[data-group="lang"] .tab-btn[data-tab="English"]')   # a real click, first tabset
    en = browser.js(_TABS)
    assert set(en['active']) == {'English'} and set(en['en']) == {'block'} and set(en['zh']) == {'none'}, en   # all tabsets
    assert en['stored'] == 'English', en
    browser.screenshot(shots / STAGE.replace('.html', '-en.png'))
    for p in (STAGE.replace('.html', '-zh.png'), STAGE.replace('.html', '-en.png')): _not_blank(shots / p)
    browser.get((out / OTHER).as_uri())
    other = browser.js(_TABS)
    assert other['n'] >= 1 and set(other['active']) == {'English'}, other       # remembered on another page
    browser.click('.panel-tabset[data-group="lang"] .tab-btn[data-tab="中文"]')
    back = browser.js(_TABS)
    assert set(back['active']) == {'中文'} and set(back['zh']) == {'block'} and back['stored'] == '中文', back
    browser.js('localStorage.clear()')


_GLYPHS = """
var done = arguments[arguments.length - 1], tries = 0;
var p = document.querySelector('.tab-pane[data-tab="中文"]'), font = getComputedStyle(p).fontFamily;
function draw(ch){ var c = document.createElement('canvas'); c.width = c.height = 64; var g = c.getContext('2d');
  g.fillStyle = '#fff'; g.fillRect(0, 0, 64, 64); g.fillStyle = '#000'; g.font = '48px ' + font; g.textBaseline = 'top';
  g.fillText(ch, 4, 4); var d = g.getImageData(0, 0, 64, 64).data, ink = 0, sig = [];
  for (var i = 0; i < d.length; i += 4){ var v = d[i] < 128 ? 1 : 0; ink += v; sig.push(v); } return {ink: ink, sig: sig.join('')}; }
function go(){   // a fallback font is loaded on first use: canvas text may come out empty until it is
  var a = draw('中'), b = draw('文'), c = draw('语'), r = {font: font, ink: [a.ink, b.ink, c.ink], tries: ++tries,
                                                         distinct: new Set([a.sig, b.sig, c.sig]).size};
  if (Math.min.apply(null, r.ink) > 0 || tries >= 40) done(r); else setTimeout(go, 50); }
document.fonts.ready.then(go);
"""


def test_chinese_glyphs_render(site, browser):
    "Chinese prose is drawn with a CJK font: distinct glyphs, not one 'missing glyph' box for every character."
    fc = shutil.which('fc-list')
    if fc and not subprocess.run([fc, ':lang=zh'], capture_output=True, text=True).stdout.strip():
        pytest.skip('no CJK font installed (apt-get install -y fonts-noto-cjk)')
    out, _ = site
    browser.get((out / STAGE).as_uri())
    r = browser.js_async(_GLYPHS)
    assert min(r['ink']) > 50 and r['distinct'] == 3, r


def test_browser_check_catches_empty_outputs_and_tabs(browser, tmp_path):
    "The page check itself: an example cell with no output, an empty output box, a one-language tabset are reported."
    b = _load_builder()
    ex, _ = b.render_cells({'cells': [{'cell_type': 'code', 'source': 'environment()', 'outputs': []},
                                      {'cell_type': 'code', 'source': 'x = 1', 'outputs': []}]}, lambda u: u)
    assert ex.count('class="cell code example"') == 1 and ex.count('class="cell code"') == 1, ex   # only the call is an example
    page = tmp_path / 'p.html'
    page.write_text('<html><body>' + ex + '<div class="cell code"><pre class="output"> </pre></div>'
                    '<div class="cell md"><p>' + 'prose ' * 20 + '</p></div>'
                    '<div class="panel-tabset" data-group="lang"><div class="tab-pane" data-tab="中文">中文</div>'
                    '<div class="tab-pane" data-tab="English"></div></div></body></html>', encoding='utf-8')
    browser.get(page.as_uri())
    i = browser.js(_PAGE_INFO)
    assert i['no_output'] == ['environment()'], i['no_output']
    assert len(i['blank_outputs']) == 1 and i['paragraphs'] == 1, i
    assert i['lang_tabsets'] == ['English:empty 中文:text'], i['lang_tabsets']
