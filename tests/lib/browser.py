"""Debian's chromium, headless, in a network namespace, driven over the
DevTools protocol by a small WebSocket client of the standard library.

Each Browser has its own --user-data-dir (a temporary directory) and its
own DevTools port (chosen by chromium: --remote-debugging-port=0, on
127.0.0.1 inside the namespace; read from DevToolsActivePort). Web security
stays on: a page of another origin meets the API's real CORS. The API's
self-signed certificate is trusted by its public key only
(--ignore-certificate-errors-spki-list, spki_sha256()), not by a blanket
ignore. Chromium runs in a process group of its own (start_new_session);
close() kills the whole group by its PID, and so does kill() (SIGKILL, as a
crash or a pulled plug would).

    b = Browser(ns, spki=[spki_sha256(cert)]).start()
    test.addCleanup(b.close)         # also on failure
    b.open('http://10.73.0.1:8080/webrtc-viewer.html#...')
    b.evaluate('srtpgw.stats()')     # awaits promises, returns the value
    png = b.screenshot()             # bytes
"""
import base64
import ctypes
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

FLAGS = [
    '--headless=new',
    '--no-sandbox',                 # root in a test namespace
    '--disable-gpu',
    '--disable-dev-shm-usage',      # /dev/shm may be small (containers, CI)
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--no-first-run',
    '--no-default-browser-check',
    '--disable-background-networking',  # no requests of its own (updates, safe browsing...)
    '--disable-component-update',
    '--disable-sync',
    '--disable-breakpad',           # no crash handler outliving the group
    '--disable-features=Translate,MediaRouter,OptimizationHints',
    '--mute-audio',
    '--password-store=basic',
    # a page in the background (headless has no focus) keeps its timers
    # and its video at full rate
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--window-size=640,480',
]


def spki_sha256(cert_pem):
    """base64 of the SHA-256 of the certificate's public key (its DER
    SubjectPublicKeyInfo): what --ignore-certificate-errors-spki-list and
    curl --pinnedpubkey take. cert_pem: a file holding the certificate
    (other PEM blocks, such as a key before it, are skipped)."""
    pub = subprocess.run(['openssl', 'x509', '-in', cert_pem, '-noout', '-pubkey'], check=True,
                         stdout=subprocess.PIPE).stdout
    der = subprocess.run(['openssl', 'pkey', '-pubin', '-outform', 'der'], input=pub, check=True,
                         stdout=subprocess.PIPE).stdout
    digest = subprocess.run(['openssl', 'dgst', '-sha256', '-binary'], input=der, check=True,
                            stdout=subprocess.PIPE).stdout
    return base64.b64encode(digest).decode()


class DevToolsError(Exception):
    pass


_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """In the child before exec: SIGKILL when the process that started it
    dies (a test killed with -9 cannot clean up; its browser goes too)."""
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class WebSocket:
    """A WebSocket client (RFC 6455) over a connected TCP socket: text
    frames out (masked, as a client must), whole messages in."""

    def __init__(self, sock, host, path):
        self.sock = sock
        key = base64.b64encode(os.urandom(16)).decode()
        # no Origin header: chromium refuses DevTools connections from
        # origins it was not told to allow, and takes those without one
        req = ('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n' % (path, host, key))
        sock.sendall(req.encode())
        head = b''
        while b'\r\n\r\n' not in head:
            d = sock.recv(1)
            if not d:
                raise DevToolsError('the DevTools socket closed during the handshake')
            head += d
        status = head.split(b'\r\n', 1)[0]
        if b' 101 ' not in status:
            raise DevToolsError('WebSocket handshake refused: %s' % head.decode(errors='replace'))
        self.buf = b''

    def send(self, text):
        data = text.encode()
        n = len(data)
        if n < 126:
            head = struct.pack('!BB', 0x81, 0x80 | n)
        elif n < 65536:
            head = struct.pack('!BBH', 0x81, 0x80 | 126, n)
        else:
            head = struct.pack('!BBQ', 0x81, 0x80 | 127, n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + masked)

    def _read(self, n):
        while len(self.buf) < n:
            d = self.sock.recv(max(65536, n - len(self.buf)))
            if not d:
                raise DevToolsError('the DevTools socket closed')
            self.buf += d
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv(self):
        """One whole message (text), fragments joined; answers pings."""
        parts = []
        while True:
            b0, b1 = self._read(2)
            op, fin, n = b0 & 0x0f, b0 & 0x80, b1 & 0x7f
            if n == 126:
                n = struct.unpack('!H', self._read(2))[0]
            elif n == 127:
                n = struct.unpack('!Q', self._read(8))[0]
            mask = self._read(4) if b1 & 0x80 else None
            payload = self._read(n)
            if mask:
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
            if op == 0x8:
                raise DevToolsError('the browser closed the DevTools connection')
            if op == 0x9:  # ping: pong with its payload
                self.sock.sendall(struct.pack('!BB', 0x8a, 0x80 | len(payload)) + b'\0\0\0\0' + payload)
                continue
            if op in (0x0, 0x1, 0x2):
                parts.append(payload)
                if fin:
                    return b''.join(parts).decode()


class Browser:
    """One headless chromium in namespace ns (sgwtest.NetNS)."""

    def __init__(self, ns, spki=(), name='browser'):
        self.ns, self.spki, self.name = ns, list(spki), name
        self.proc = None
        self.ws = None
        self.next_id = 0
        self.dir = tempfile.mkdtemp(prefix='srtpgw-%s-' % name)
        self.log_path = os.path.join(self.dir, 'chromium.log')

    def start(self, timeout=60):
        chromium = shutil.which('chromium')
        if chromium is None:
            raise AssertionError('chromium is not installed (scripts/setup installs it)')
        args = [chromium] + FLAGS + ['--user-data-dir=' + os.path.join(self.dir, 'profile'),
                                     '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0']
        if self.spki:
            args.append('--ignore-certificate-errors-spki-list=' + ','.join(self.spki))
        args.append('about:blank')
        log = open(self.log_path, 'w')
        # its own process group (and session): killed whole by close()
        # XDG_CONFIG_HOME: chromium's crash handler (chrome_crashpad_handler,
        # which starts a session of its own, outside the group) keeps its
        # database under it: in our directory, and named on its command line
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(self.dir, 'config'))
        self.proc = self.ns.popen(*args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True, env=env, preexec_fn=_die_with_parent)
        log.close()
        port_file = os.path.join(self.dir, 'profile', 'DevToolsActivePort')
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError('chromium exited %d at start:\n%s' % (self.proc.returncode, self.log()))
            try:
                with open(port_file) as f:
                    lines = f.read().split('\n')
                if len(lines) >= 2 and lines[1]:
                    self.port = int(lines[0])
                    break
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError('chromium opened no DevTools port in %d s:\n%s' % (timeout, self.log()))
            time.sleep(0.05)
        # the page target (about:blank) and a WebSocket to it
        target = None
        while target is None:
            pages = [t for t in json.loads(self._http_get('/json/list')) if t.get('type') == 'page']
            if pages:
                target = pages[0]
            elif time.monotonic() > deadline:
                raise AssertionError('chromium has no page target')
            else:
                time.sleep(0.05)
        path = '/' + target['webSocketDebuggerUrl'].split('/', 3)[3]
        self.ws = WebSocket(self._connect(), '127.0.0.1:%d' % self.port, path)
        self.call('Page.enable')
        self.call('Runtime.enable')
        return self

    def _connect(self):
        s = self.ns.socket(socket.AF_INET, socket.SOCK_STREAM)  # 127.0.0.1 of the namespace
        s.settimeout(120)
        s.connect(('127.0.0.1', self.port))
        return s

    def _http_get(self, path):
        s = self._connect()
        try:
            s.sendall(('GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n'
                       % (path, self.port)).encode())
            data = b''
            while b'\r\n\r\n' not in data:
                d = s.recv(65536)
                if not d:
                    break
                data += d
            head, _, body = data.partition(b'\r\n\r\n')
            length = [int(ln.split(b':', 1)[1]) for ln in head.split(b'\r\n')
                      if ln.lower().startswith(b'content-length:')]
            while length and len(body) < length[0]:
                d = s.recv(65536)
                if not d:
                    break
                body += d
        finally:
            s.close()
        if b' 200 ' not in head.split(b'\r\n', 1)[0]:
            raise DevToolsError('GET %s: %s' % (path, head.decode(errors='replace')))
        return body.decode()

    def log(self):
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    # ---- the DevTools protocol ---------------------------------------------
    def call(self, method, timeout=60, **params):
        """One DevTools command: its result (events on the way are
        dropped)."""
        self.next_id += 1
        mid = self.next_id
        self.ws.sock.settimeout(timeout)
        self.ws.send(json.dumps({'id': mid, 'method': method, 'params': params}))
        while True:
            try:
                msg = json.loads(self.ws.recv())
            except socket.timeout:
                raise DevToolsError('%s: no answer in %d s' % (method, timeout)) from None
            if msg.get('id') == mid:
                if 'error' in msg:
                    raise DevToolsError('%s: %s' % (method, msg['error']))
                return msg['result']

    def evaluate(self, expr, timeout=60):
        """The value of a JavaScript expression in the page (a promise is
        awaited); an exception in the page is raised here with its text."""
        r = self.call('Runtime.evaluate', timeout=timeout, expression=expr, awaitPromise=True,
                      returnByValue=True)
        if 'exceptionDetails' in r:
            d = r['exceptionDetails']
            raise DevToolsError('page: %s' % (d.get('exception', {}).get('description') or d.get('text')))
        return r['result'].get('value')

    def open(self, url, ready='true', timeout=60):
        """Navigate to url and wait until the expression ready is true."""
        self.call('Page.navigate', url=url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.evaluate('document.readyState === "complete" && (%s)' % ready):
                    return
            except DevToolsError:
                pass  # the old page went away under the evaluation
            if time.monotonic() > deadline:
                raise AssertionError('%s did not load in %d s' % (url, timeout))
            time.sleep(0.05)

    def wait(self, expr, timeout=30, what=None, interval=0.1):
        """Until the page's expression is truthy: its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.evaluate(expr)
            if v:
                return v
            if time.monotonic() > deadline:
                raise AssertionError('timed out waiting for %s (%s); last value %r'
                                     % (what or expr, self.name, v))
            time.sleep(interval)

    def screenshot(self):
        """A PNG of the page as it is shown (bytes)."""
        return base64.b64decode(self.call('Page.captureScreenshot', format='png')['data'])

    # ---- the end -------------------------------------------------------------
    def kill(self):
        """SIGKILL to the whole process group: no goodbye of any kind."""
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
            self._wait_group_gone()
            self._kill_strays()

    def close(self):
        """Ends the browser and every process it started (its group, by
        PID), removes its profile. Safe to call twice."""
        if self.ws:
            try:
                self.ws.sock.close()
            except OSError:
                pass
            self.ws = None
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            if self.proc.poll() is None:
                self.proc.wait()
            self._wait_group_gone()
            self._kill_strays()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _strays(self):
        """PIDs of processes outside the group that name our directory
        on their command line (the crash handler)."""
        out = []
        mark = self.dir.encode()
        for pid in os.listdir('/proc'):
            if not pid.isdigit():
                continue
            try:
                with open('/proc/%s/cmdline' % pid, 'rb') as f:
                    if mark in f.read():
                        out.append(int(pid))
            except OSError:
                pass
        return out

    def _kill_strays(self, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            pids = self._strays()
            if not pids:
                return
            if time.monotonic() > deadline:
                raise AssertionError('chromium processes %s outlived SIGKILL' % pids)
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)

    def _wait_group_gone(self, timeout=10):
        """Until no process of the group is left (the killed ones are
        reaped by their parents, or by init once those went)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        raise AssertionError('processes of chromium group %d outlived SIGKILL' % self.proc.pid)
