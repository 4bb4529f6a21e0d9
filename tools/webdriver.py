"""A minimal W3C WebDriver client (JSON over HTTP to chromedriver, no extra Python package) for headless Chromium.
Used by tests/test_docs_browser.py (the documentation site) and tools/check_lab.py (JupyterLab)."""
import base64, json, shutil, socket, subprocess, time, urllib.error, urllib.request
from pathlib import Path

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
CHROMEDRIVER = shutil.which('chromedriver')


_ERRS = """window.__errs = [];
window.addEventListener('error', function(e){ window.__errs.push(e.message ? 'error: ' + e.message
  : 'failed to load: ' + (e.target && (e.target.src || e.target.href))); }, true);
window.addEventListener('unhandledrejection', function(e){ window.__errs.push('unhandled rejection: ' + e.reason); });
(function(){ var ce = console.error; console.error = function(){ window.__errs.push('console.error: ' +
  Array.from(arguments).join(' ')); return ce.apply(console, arguments); }; })();"""


class WebDriver:
    "A minimal W3C WebDriver client for one headless Chromium session."
    def __init__(self, profile: Path):
        with socket.socket() as s: s.bind(('127.0.0.1', 0)); self.port = s.getsockname()[1]
        self.proc = subprocess.Popen([CHROMEDRIVER, f'--port={self.port}'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.sid = None
        for _ in range(100):
            try:
                if self._http('GET', '/status').get('ready'): break
            except (urllib.error.URLError, ConnectionError): time.sleep(0.1)
        else: self.close(); raise RuntimeError(f'chromedriver did not start on port {self.port}')
        args = ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
                '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--window-size=1280,900',
                f'--user-data-dir={profile}']
        caps = {'browserName': 'chrome', 'goog:loggingPrefs': {'browser': 'ALL'},
                'goog:chromeOptions': {'binary': CHROMIUM, 'args': args}}
        try:
            self.sid = self._http('POST', '/session', {'capabilities': {'alwaysMatch': caps}})['sessionId']
            self('POST', '/timeouts', {'pageLoad': 60000, 'script': 20000})
            # record uncaught errors and console.error from the first line of every page on
            self('POST', '/goog/cdp/execute', {'cmd': 'Page.addScriptToEvaluateOnNewDocument', 'params': {'source': _ERRS}})
            self('POST', '/goog/cdp/execute', {'cmd': 'Emulation.setDeviceMetricsOverride',   # viewport = screenshot size
                                               'params': {'width': 1280, 'height': 900, 'deviceScaleFactor': 1, 'mobile': False}})
        except Exception: self.close(); raise

    def _http(self, method, path, body=None):
        r = urllib.request.Request(f'http://127.0.0.1:{self.port}{path}', method=method,
                                   data=None if body is None else json.dumps(body).encode(), headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(r, timeout=120) as f: return json.loads(f.read())['value']
        except urllib.error.HTTPError as e:
            raise RuntimeError(f'WebDriver {method} {path}: {e.read()[:2000]!r}') from None

    def __call__(self, method, path, body=None): return self._http(method, f'/session/{self.sid}{path}', body)
    def get(self, url): self('POST', '/url', {'url': url})
    def js(self, script, *args): return self('POST', '/execute/sync', {'script': script, 'args': list(args)})
    def js_async(self, script, *args): return self('POST', '/execute/async', {'script': script, 'args': list(args)})
    def log(self): return self('POST', '/se/log', {'type': 'browser'})   # and clears it
    def screenshot(self, f: Path): f.write_bytes(base64.b64decode(self('GET', '/screenshot')))

    def click(self, css):
        el = self('POST', '/element', {'using': 'css selector', 'value': css})
        self('POST', f'/element/{next(iter(el.values()))}/click', {})

    def close(self):
        if self.sid:
            try: self('DELETE', '')
            except Exception: pass
        self.proc.terminate()
        try: self.proc.wait(10)
        except subprocess.TimeoutExpired: self.proc.kill()
