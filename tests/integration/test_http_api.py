"""The HTTPS API of srtpgw-control for WHEP and WHIP (docs/webrtc.md,
"HTTP API"), against the real daemon on loopback.

The main case runs srtpgw-control in front of a gateway (ControlCase)
with http_listen on 127.0.0.1 and its self-signed certificate, which the
client pins by the fingerprint the daemon logged (checked against the
openssl command's reading of the file it made). Shown: TLS 1.2 and 1.3,
not 1.1, ALPN http/1.1; a valid request passes the token, stream and
rights checks and reaches the WebRTC sessions, which refuse it for what
this test's streams are (409: they declare no media; 404: no such
session; 503 without a gateway); every refusal (401
with WWW-Authenticate, 403, 404, 405 with Allow, PATCH's ICE-lite
answer, 406, 415, 400, 413, headers over the bound) says why in one line
and changes nothing in the daemon or the gateway; CORS preflight and
headers; a client that sends nothing, or a byte at a time, is closed at
http_timeout; at http_max_conns no more connections are served until one
closes; a storm of requests does not keep srtpgwctl from being answered;
garbage never crashes the daemon. The daemon must exit 0 at the end.

Daemons of their own (no gateway) show the configured origins, a
configured certificate, the self-signed certificate kept across restarts
and made anew when its names change, and the start-up refusals.
"""
import base64
import hashlib
import http.client
import json
import os
import random
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGW_CONTROL, SRTPGWCTL, Resources, run, wait_for, wait_serving  # noqa: E402
from ctltest import ControlCase  # noqa: E402

GW4, PEER4 = '10.99.0.1', '10.99.0.2'
TIMEOUT = 3       # http_timeout of the main case
MAX_CONNS = 8     # http_max_conns of the main case
MAX_BODY = 8192   # http_max_body of the main case
FP_RE = re.compile(r'HTTP: (self-signed|configured) certificate of https://\S+: SHA-256 fingerprint '
                   r'([0-9A-F:]{95}); public key \(SPKI\) SHA-256 (\S+)')
NO_MEDIA = 'stream %s declares no media (srtpgwctl stream add --codec)'
OFFER = (b'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n'
         b'c=IN IP4 0.0.0.0\r\na=rtpmap:96 VP8/90000\r\n')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def fingerprint(der):
    return ':'.join('%02X' % b for b in hashlib.sha256(der).digest())


def logged_fingerprints(log):
    """(kind, certificate fingerprint, SPKI hash) of the last start."""
    found = FP_RE.findall(log)
    assert found, 'no fingerprint in the log:\n' + log
    return found[-1]


def tls_context(maximum=None, alpn=None):
    """A client context that checks nothing itself: the tests pin the
    certificate by its fingerprint."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maximum:
        ctx.maximum_version = maximum
    if alpn:
        ctx.set_alpn_protocols(alpn)
    return ctx


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def header(self, name):
        return self.headers.get(name.lower())

    @property
    def text(self):
        return self.body.decode()

    def __repr__(self):
        return 'Reply(%d, %r, %r)' % (self.status, self.headers, self.body[:200])


def https(port, method, path, body=None, headers=None, fp=None, timeout=20, chunked=False):
    """One request on a connection of its own (http.client); with fp, the
    daemon's certificate must have that fingerprint."""
    conn = http.client.HTTPSConnection('127.0.0.1', port, context=tls_context(), timeout=timeout)
    try:
        conn.connect()
        if fp is not None:
            assert fingerprint(conn.sock.getpeercert(True)) == fp, 'not the pinned certificate'
        conn.request(method, path, body=body, headers=headers or {}, encode_chunked=chunked)
        r = conn.getresponse()
        data = r.read()
        return Reply(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
    finally:
        conn.close()


def raw_tls(port, data, timeout=20):
    """data over TLS as it is; what comes back until the daemon closes."""
    with socket.create_connection(('127.0.0.1', port), timeout=timeout) as raw:
        with tls_context().wrap_socket(raw) as s:
            try:
                s.sendall(data)
            except OSError:
                pass
            out = b''
            while True:
                try:
                    d = s.recv(65536)
                except (ssl.SSLError, OSError):
                    break
                if not d:
                    break
                out += d
            return out


def status_of(raw):
    m = re.match(rb'HTTP/1\.[01] (\d{3}) ', raw)
    return int(m.group(1)) if m else None


class HttpApi(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']

    @classmethod
    def ready(cls):
        cls.port = free_port()
        cls.CONTROL_CONFIG = ('http_listen = "127.0.0.1:%d";\nhttp_timeout = %d;\nhttp_max_conns = %d;\n'
                              'http_max_body = %d;\n' % (cls.port, TIMEOUT, MAX_CONNS, MAX_BODY))
        super().ready()
        cls.kind, cls.fp, cls.spki = logged_fingerprints(cls.control.read_log())
        for owner in ('alice', 'bob', 'carol'):
            cls.control.ctl('owner', 'add', owner)
        cls.control.ctl('stream', 'add', 'alice-cam', '--owner', 'alice', '--listen', GW4 + ':22000')
        cls.control.ctl('stream', 'add', 'bob-cam', '--owner', 'bob', '--listen', GW4 + ':22002')
        cls.control.ctl('grant', 'add', 'alice-cam', '--to', 'bob')
        cls.alice = cls.token('alice')
        cls.bob = cls.token('bob')
        cls.carol = cls.token('carol')
        cls.control.wait_applied()

    @classmethod
    def token(cls, owner, *args):
        return cls.control.ctl('token', 'add', '--owner', owner, *args)['token']

    def req(self, method, path, token=None, body=None, ctype='application/sdp', headers=None):
        h = dict(headers or {})
        if token is not None:
            h['Authorization'] = 'Bearer ' + token
        if body is not None and ctype is not None:
            h['Content-Type'] = ctype
        return https(self.port, method, path, body=body, headers=h, fp=self.fp)

    def assert_error(self, r, status, line):
        """An error: its status, and one line of text that says line."""
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.header('content-type'), 'text/plain; charset=utf-8', r)
        self.assertEqual(r.header('cache-control'), 'no-store', r)
        self.assertTrue(r.text.endswith('\n') and r.text.count('\n') == 1, r)
        self.assertEqual(r.text.strip(), line)

    # ---- TLS ---------------------------------------------------------------
    def test_tls_with_the_pinned_self_signed_certificate(self):
        self.assertEqual(self.kind, 'self-signed')
        path = os.path.join(os.path.dirname(self.control.db), 'http-selfsigned.pem')
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # the openssl command reads the same fingerprint from the file
        out = run('openssl', 'x509', '-in', path, '-noout', '-fingerprint', '-sha256').stdout
        self.assertEqual(out.strip(), 'sha256 Fingerprint=' + self.fp)
        pub = subprocess.run('openssl x509 -in %s -noout -pubkey | openssl pkey -pubin -outform der' % path,
                             shell=True, check=True, stdout=subprocess.PIPE).stdout
        self.assertEqual(base64.b64encode(hashlib.sha256(pub).digest()).decode(), self.spki)
        text = run('openssl', 'x509', '-in', path, '-noout', '-text').stdout
        self.assertIn('IP Address:127.0.0.1', text)
        self.assertIn('ASN1 OID: prime256v1', text)
        # a client that trusts that certificate and checks the name
        ctx = ssl.create_default_context(cafile=path)
        with socket.create_connection(('127.0.0.1', self.port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as s:
                self.assertEqual(fingerprint(s.getpeercert(True)), self.fp)
                self.assertEqual(s.version(), 'TLSv1.3')
        # TLS 1.2 yes, with ALPN http/1.1 chosen among h2 and http/1.1
        ctx = tls_context(maximum=ssl.TLSVersion.TLSv1_2, alpn=['h2', 'http/1.1'])
        with socket.create_connection(('127.0.0.1', self.port), timeout=20) as raw:
            with ctx.wrap_socket(raw) as s:
                self.assertEqual(s.version(), 'TLSv1.2')
                self.assertEqual(s.selected_alpn_protocol(), 'http/1.1')
                self.assertIn('ECDHE', s.cipher()[0])
        # TLS 1.1 no, and no TLS 1.2 without ECDHE and AEAD: the daemon's
        # alerts, to the openssl command offering them
        for args, alert in ((['-tls1_1', '-cipher', 'DEFAULT:@SECLEVEL=0'], 'alert protocol version'),
                            (['-tls1_2', '-cipher', 'AES128-SHA'], 'alert handshake failure')):
            r = subprocess.run(['openssl', 's_client', '-connect', '127.0.0.1:%d' % self.port] + args,
                               input='', stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=30)
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(alert, r.stdout)
        # no plain HTTP: a request in the clear gets no HTTP answer
        with socket.create_connection(('127.0.0.1', self.port), timeout=20) as s:
            s.sendall(b'GET /whep/alice-cam HTTP/1.1\r\nHost: x\r\n\r\n')
            got = b''
            try:
                while True:
                    d = s.recv(4096)
                    if not d:
                        break
                    got += d
            except ConnectionResetError:
                pass
            self.assertNotIn(b'HTTP/1.1', got)

    # ---- the checks, up to the sessions ------------------------------------
    def test_valid_requests_reach_the_sessions(self):
        before = self.snapshot()
        for method, path, token, who, status, why in (
                ('POST', '/whep/alice-cam', self.alice, 'alice', 409, NO_MEDIA % 'alice-cam'),   # its owner
                ('POST', '/whip/alice-cam', self.alice, 'alice', 409,
                 'stream alice-cam is not a WHIP stream (srtpgwctl stream add --whip)'),
                ('POST', '/whep/alice-cam', self.bob, 'bob', 409, NO_MEDIA % 'alice-cam'),       # a grant
                ('POST', '/whep/bob-cam', self.bob, 'bob', 409, NO_MEDIA % 'bob-cam'),
                ('DELETE', '/whep/session/s1', self.carol, 'carol', 404, 'no WHEP session s1'),
                ('DELETE', '/whip/session/s-2_x', self.alice, 'alice', 404, 'no WHIP session s-2_x')):
            with self.subTest(method=method, path=path):
                r = self.req(method, path, token, OFFER if method == 'POST' else None)
                self.assert_error(r, status, why)
                self.assertIn('%s %s (%s): %d %s' % (method, path, who, status, why), self.control.read_log())
        # the body as libevent saw it, in pieces (chunked), is an offer too
        r = https(self.port, 'POST', '/whep/alice-cam', body=iter([OFFER[:10], OFFER[10:]]), fp=self.fp,
                  headers={'Authorization': 'Bearer ' + self.alice, 'Content-Type': 'application/sdp',
                           'Transfer-Encoding': 'chunked'}, chunked=True)
        self.assert_error(r, 409, NO_MEDIA % 'alice-cam')
        self.assert_unchanged(before)

    def test_refusals_say_why_and_change_nothing(self):
        before = self.snapshot()
        deleted = self.token('alice', '--name', 'gone')
        self.ctl('token', 'del', 'gone')
        expiring = self.token('alice', '--name', 'short', '--expires', '1s')
        bearer = 'Bearer realm="srtpgw"'
        invalid = 'Bearer realm="srtpgw", error="invalid_token"'
        # no token, or one that is none
        r = self.req('POST', '/whep/alice-cam', None, OFFER)
        self.assert_error(r, 401, 'an Authorization: Bearer TOKEN header is required (a token of the '
                          "stream's owner: srtpgwctl token add)")
        self.assertEqual(r.header('www-authenticate'), bearer)
        for auth in ('Basic YWxpY2U6eA==', 'Bearer', 'Bearer a b', 'Bearer ' + 'x' * 129):
            r = https(self.port, 'POST', '/whep/alice-cam', body=OFFER, fp=self.fp,
                      headers={'Authorization': auth, 'Content-Type': 'application/sdp'})
            self.assert_error(r, 401, 'the Authorization header is not "Bearer TOKEN" with a token of up '
                              'to 128 characters')
            self.assertEqual(r.header('www-authenticate'), invalid)
        for token in ('sgwt_' + 'A' * 43, deleted, self.alice[:-1]):
            r = self.req('POST', '/whep/alice-cam', token, OFFER)
            self.assert_error(r, 401, 'permission denied: the token is not valid (unknown or deleted)')
            self.assertEqual(r.header('www-authenticate'), invalid)
        r = wait_for(lambda: (lambda r: r.status == 401 and r)(self.req('DELETE', '/whep/session/s1', expiring)),
                     10, 'the token to expire', interval=0.2)
        self.assertRegex(r.text, r'^permission denied: token "short" expired at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$')
        # no right
        self.assert_error(self.req('POST', '/whep/alice-cam', self.carol, OFFER), 403,
                          "permission denied: owner carol may not view stream alice-cam (not carol's, no grant)")
        self.assert_error(self.req('POST', '/whip/alice-cam', self.bob, OFFER), 403,
                          "permission denied: owner bob may not publish to stream alice-cam (not bob's)")
        self.assert_error(self.req('POST', '/whep/bob-cam', self.alice, OFFER), 403,
                          "permission denied: owner alice may not view stream bob-cam (not alice's, no grant)")
        # nothing there
        self.assert_error(self.req('POST', '/whep/no-cam', self.alice, OFFER), 404, 'no stream named "no-cam"')
        for path in ('/', '/whep', '/whep/', '/whep/alice-cam/x', '/whep/al%69ce-cam', '/whep/session/',
                     '/WHEP/alice-cam', '/whep/' + 'a' * 64, '/other'):
            with self.subTest(path=path):
                self.assert_error(self.req('POST', path, self.alice, OFFER), 404,
                                  'no such resource: the API has /whep/STREAM, /whip/STREAM and the sessions '
                                  'their answers name')
        # methods
        for method in ('GET', 'PUT', 'DELETE', 'HEAD', 'PATCH'):
            r = self.req(method, '/whep/alice-cam', self.alice)
            self.assertEqual((r.status, r.header('allow')), (405, 'POST, OPTIONS'), r)
            if method != 'HEAD':
                self.assert_error(r, 405, '%s is not allowed on /whep/alice-cam (POST, OPTIONS)' % method)
        for method in ('GET', 'POST', 'PUT'):
            r = self.req(method, '/whip/session/s1', self.alice, OFFER if method != 'GET' else None)
            self.assertEqual((r.status, r.header('allow')), (405, 'DELETE, OPTIONS'), r)
            self.assert_error(r, 405, '%s is not allowed on /whip/session/s1 (DELETE, OPTIONS)' % method)
        r = self.req('PATCH', '/whep/session/s1', self.alice, b'a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n',
                     ctype='application/trickle-ice-sdpfrag')
        self.assert_error(r, 405, 'srtpgw is ICE-lite and needs no trickle ICE or ICE restart: PATCH is not '
                          'supported; end the session with DELETE and POST a new offer')
        self.assertEqual(r.header('allow'), 'DELETE, OPTIONS')
        # the offer itself
        r = self.req('POST', '/whep/alice-cam', self.alice, OFFER, ctype='text/plain')
        self.assert_error(r, 415, 'Content-Type must be application/sdp (the body is an SDP offer)')
        self.assertEqual(r.header('accept-post'), 'application/sdp')
        self.assert_error(self.req('POST', '/whep/alice-cam', self.alice, OFFER, ctype=None), 415,
                          'Content-Type must be application/sdp (the body is an SDP offer)')
        self.assert_error(self.req('POST', '/whep/alice-cam', self.alice, OFFER,
                                   headers={'Accept': 'application/json'}), 406,
                          'the answer is application/sdp, which Accept refuses')
        self.assert_error(self.req('POST', '/whep/alice-cam', self.alice, b''), 400,
                          'the body must be an SDP offer; it is empty')
        # over the bounds: evhttp's own answers (and the connection closed)
        r = self.req('POST', '/whep/alice-cam', self.alice, b'v=0\r\n' + b'a=x\r\n' * (MAX_BODY // 5))
        self.assertEqual(r.status, 413, r)
        r = self.req('POST', '/whep/alice-cam', self.alice, OFFER, headers={'X-Pad': 'p' * 9000})
        self.assertIn(r.status, (400, 413), r)
        self.assert_unchanged(before)
        log = self.control.read_log()
        for t in (self.alice, self.bob, self.carol, deleted, expiring):
            self.assertNotIn(t, log)
            self.assertNotIn(t[5:], log)

    # ---- CORS ----------------------------------------------------------------
    def test_cors_any_origin(self):
        origin = {'Origin': 'https://app.example.net'}
        r = self.req('OPTIONS', '/whep/alice-cam', headers=dict(origin, **{
            'Access-Control-Request-Method': 'POST',
            'Access-Control-Request-Headers': 'authorization, content-type'}))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, b'')
        self.assertEqual(r.header('access-control-allow-origin'), '*')
        self.assertEqual(r.header('access-control-allow-methods'), 'POST, OPTIONS')
        self.assertEqual(r.header('access-control-allow-headers'), 'Authorization, Content-Type, If-Match')
        self.assertEqual(r.header('access-control-max-age'), '7200')
        self.assertEqual(r.header('accept-post'), 'application/sdp')
        self.assertIsNone(r.header('access-control-allow-credentials'))
        self.assertIsNone(r.header('vary'))
        r = self.req('OPTIONS', '/whep/session/s1', headers=dict(origin, **{
            'Access-Control-Request-Method': 'DELETE'}))
        self.assertEqual((r.status, r.header('access-control-allow-methods')), (204, 'DELETE, OPTIONS'), r)
        # OPTIONS without Origin: what the resource allows
        r = self.req('OPTIONS', '/whip/alice-cam')
        self.assertEqual((r.status, r.header('allow')), (204, 'POST, OPTIONS'), r)
        self.assertIsNone(r.header('access-control-allow-origin'))
        # the requests themselves, answers and errors, are readable by the page
        for token, status in ((self.alice, 409), (self.carol, 403), ('nope', 401)):
            r = self.req('POST', '/whep/alice-cam', token, OFFER, headers=origin)
            self.assertEqual(r.status, status, r)
            self.assertEqual(r.header('access-control-allow-origin'), '*')
            self.assertEqual(r.header('access-control-expose-headers'), 'Location, ETag, Link')
        self.assert_error(self.req('OPTIONS', '/nothing', headers=origin), 404,
                          'no such resource: the API has /whep/STREAM, /whip/STREAM and the sessions their '
                          'answers name')

    # ---- slow clients, connection limit, storms, garbage ---------------------
    def test_slow_clients_are_closed(self):
        # nothing at all, not even a TLS handshake
        with socket.create_connection(('127.0.0.1', self.port), timeout=30) as s:
            t = time.monotonic()
            try:
                self.assertEqual(s.recv(1), b'')
            except ConnectionResetError:
                pass
            took = time.monotonic() - t
        self.assertGreater(took, TIMEOUT - 0.5)
        self.assertLess(took, TIMEOUT + 3)
        # a handshake, then the request a byte at a time: never idle long
        # enough for an inactivity timeout, closed at the deadline anyway
        line = b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nX-Slow: ' + b'y' * 200
        with socket.create_connection(('127.0.0.1', self.port), timeout=30) as raw:
            t = time.monotonic()
            with tls_context().wrap_socket(raw) as s:
                sent = 0
                try:
                    for b in line:
                        s.sendall(bytes([b]))
                        sent += 1
                        time.sleep(0.05)  # pacing the slow client
                        if time.monotonic() - t > TIMEOUT + 5:
                            break
                except OSError:
                    pass
                took = time.monotonic() - t
        self.assertGreater(took, TIMEOUT - 0.5)
        self.assertLess(took, TIMEOUT + 3, 'sent %d bytes without being closed' % sent)
        self.assertIn('a connection sent no whole request within %d s; closing it' % TIMEOUT,
                      self.control.read_log())
        # and the daemon answers the next one
        self.assertEqual(self.req('POST', '/whep/alice-cam', self.alice, OFFER).status, 409)

    def test_connection_limit(self):
        full = 'HTTP: %d connections open (http_max_conns); accepting no more' % MAX_CONNS
        seen = self.control.read_log().count(full)
        idle = []
        try:
            t = time.monotonic()
            for _ in range(MAX_CONNS):
                idle.append(socket.create_connection(('127.0.0.1', self.port), timeout=30))
            # the next connects (the kernel's backlog) but is not served
            # until one of those closes: they do at their deadline
            wait_for(lambda: self.control.read_log().count(full) > seen, 10,
                     'the daemon to reach its connection limit')
            r = self.req('POST', '/whep/alice-cam', self.alice, OFFER)
            took = time.monotonic() - t
            self.assertEqual(r.status, 409, r)
            self.assertGreater(took, TIMEOUT - 0.5)
            # srtpgwctl was not kept waiting meanwhile
            self.assertEqual(self.ctl('whoami')['principal'], 'admin')
        finally:
            for s in idle:
                s.close()
        self.assertIn('accepting connections again', self.control.read_log())

    def test_storm_does_not_stop_srtpgwctl(self):
        before = self.snapshot()
        statuses = {}
        lock = threading.Lock()
        stop = threading.Event()
        kinds = [('POST', '/whep/alice-cam', self.alice, OFFER),
                 ('POST', '/whep/alice-cam', 'sgwt_' + 'B' * 43, OFFER),
                 ('POST', '/whep/no-cam', self.bob, OFFER),
                 ('DELETE', '/whep/session/x', self.carol, None),
                 ('GET', '/nothing', None, None)]

        def client(n):
            rnd = random.Random(n)
            for _ in range(40):
                if stop.is_set():
                    return
                method, path, token, body = rnd.choice(kinds)
                try:
                    r = self.req(method, path, token, body)
                    key = r.status
                except OSError as e:  # closed at the connection limit's deadline, say
                    key = type(e).__name__
                with lock:
                    statuses[key] = statuses.get(key, 0) + 1

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(12)]
        for th in threads:
            th.start()
        worst = 0
        try:
            while any(th.is_alive() for th in threads):
                t = time.monotonic()
                st = self.ctl('status')
                worst = max(worst, time.monotonic() - t)
                self.assertEqual(st['gateway'], 'connected')
        finally:
            stop.set()
            for th in threads:
                th.join(60)
        self.assertLess(worst, 3, 'srtpgwctl status took %.1f s during the storm' % worst)
        self.assertEqual(sum(statuses.values()), 12 * 40, statuses)
        self.assertLessEqual(set(statuses), {409, 401, 404, 503}, statuses)
        self.assertGreater(statuses.get(409, 0), 0, statuses)
        self.assert_unchanged(before)

    def test_garbage_never_crashes(self):
        before = self.snapshot()
        rnd = random.Random(12)
        requests = [
            b'\x00' * 100 + b'\r\n\r\n',
            b'GET\r\n\r\n',
            b'POST /whep/alice-cam HTTP/9.9\r\n\r\n',
            b'FROB /whep/alice-cam HTTP/1.1\r\nHost: x\r\n\r\n',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n'
            b'ffffffffffffffff\r\nabc\r\n',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n'
            b'Content-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0',
            b'POST /whep/al\x00ice HTTP/1.1\r\nHost: x\r\n\r\n',
            b'POST /' + b'a' * 10000 + b' HTTP/1.1\r\nHost: x\r\n\r\n',
            b'POST /whep/alice-cam HTTP/1.1\r\nHost: x\r\n folded: header\r\n\r\n',
            b'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
            b'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n\r\n',
            b'GET http://elsewhere.example/whep/alice-cam HTTP/1.1\r\nHost: x\r\n\r\n',
        ] + [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 2000))) + b'\r\n\r\n' for _ in range(20)]
        for data in requests:
            got = raw_tls(self.port, data)
            status = status_of(got)
            self.assertTrue(got == b'' or 400 <= status <= 501, (data[:80], got[:200]))
            self.assertIsNone(self.control.proc.poll(), 'srtpgw-control died on %r' % data[:80])
        # two Authorization headers: refused before any lookup
        got = raw_tls(self.port, requests[8])
        self.assertEqual(status_of(got), 400)
        self.assertIn(b'more than one Authorization header', got)
        # random bytes where TLS should be
        for _ in range(6):
            with socket.create_connection(('127.0.0.1', self.port), timeout=20) as s:
                s.sendall(bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 3000))))
                try:
                    while s.recv(4096):
                        pass
                except ConnectionResetError:
                    pass
        self.assertEqual(self.req('POST', '/whep/alice-cam', self.alice, OFFER).status, 409)
        self.assert_unchanged(before)


class Daemon:
    """An srtpgw-control of its own, without a gateway (its agent socket
    does not exist), with http_listen on a free loopback port."""

    def __init__(self, res, top, extra, name='d'):
        self.res, self.dir = res, os.path.join(top, name)
        os.makedirs(self.dir, mode=0o700, exist_ok=True)
        self.port = free_port()
        self.sock = os.path.join(self.dir, 'control.sock')
        self.db = os.path.join(self.dir, 'db', 'control.db')
        self.conf = os.path.join(self.dir, 'control.conf')
        self.log_path = os.path.join(self.dir, 'log')
        self.write(extra)
        self.proc = None

    def write(self, extra, port=None):
        with open(self.conf, 'w') as f:
            f.write('socket = "%s";\ndatabase = "%s";\nkek_file = "%s";\nagent_socket = "%s";\n'
                    'listen_addresses = [ "192.0.2.1" ];\nhttp_listen = "127.0.0.1:%d";\n%s\n' % (
                        self.sock, self.db, os.path.join(self.dir, 'kek'), os.path.join(self.dir, 'none.sock'),
                        port or self.port, extra))

    def start(self):
        log = open(self.log_path, 'w')
        self.proc = subprocess.Popen([SRTPGW_CONTROL, '--config', self.conf], stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.res.add(self.kill)
        wait_serving(self.proc, self.sock, 'srtpgw-control', self.log, 20)
        # the UNIX socket is bound first: the HTTP thread runs once the
        # daemon serves it
        wait_for(lambda: 'listening on' in self.log(), 20, 'srtpgw-control to serve')
        return self

    def run_to_exit(self):
        """Start it expecting it to refuse: (exit code, output)."""
        r = subprocess.run([SRTPGW_CONTROL, '--config', self.conf], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=30)
        return r.returncode, r.stdout

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(20)
        assert rc == 0, 'srtpgw-control exit %d:\n%s' % (rc, self.log())

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def ctl(self, *args):
        r = subprocess.run([SRTPGWCTL, '--socket', self.sock, '--json'] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=60)
        assert r.returncode in (0, 5), r.stderr  # 5: pending, there is no gateway
        return json.loads(r.stdout)


class HttpConfig(unittest.TestCase):
    def setUp(self):
        self.res = Resources()
        self.addCleanup(self.res.cleanup)
        self.top = tempfile.mkdtemp(prefix='sgw-http-')
        self.res.add(shutil.rmtree, self.top, ignore_errors=True)

    def test_configured_origins(self):
        d = Daemon(self.res, self.top, 'http_cors_origins = [ "https://app.example.net", '
                   '"http://localhost:8080" ];').start()
        _, fp, _ = logged_fingerprints(d.log())
        d.ctl('owner', 'add', 'alice')
        d.ctl('stream', 'add', 'cam', '--owner', 'alice')
        token = d.ctl('token', 'add', '--owner', 'alice')['token']
        pre = {'Access-Control-Request-Method': 'POST'}
        r = https(d.port, 'OPTIONS', '/whep/cam', fp=fp, headers=dict(pre, Origin='http://LOCALHOST:8080'))
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header('access-control-allow-origin'), 'http://localhost:8080')
        self.assertEqual(r.header('vary'), 'Origin')
        post = {'Authorization': 'Bearer ' + token, 'Content-Type': 'application/sdp'}
        r = https(d.port, 'POST', '/whep/cam', body=OFFER, fp=fp, headers=dict(post, Origin='https://app.example.net'))
        self.assertEqual(r.status, 503, r)  # the sessions, with no gateway
        self.assertEqual(r.header('access-control-allow-origin'), 'https://app.example.net')
        self.assertEqual(r.header('vary'), 'Origin')
        # another origin: refused, preflight or not, before its token is looked at
        for method, headers in (('OPTIONS', pre), ('POST', post)):
            r = https(d.port, method, '/whep/cam', body=OFFER if method == 'POST' else None, fp=fp,
                      headers=dict(headers, Origin='https://evil.example'))
            self.assertEqual(r.status, 403, r)
            self.assertEqual(r.body, b'origin https://evil.example may not call this API (http_cors_origins)\n')
            self.assertIsNone(r.header('access-control-allow-origin'))
        self.assertNotIn('POST /whep/cam (alice): 403', d.log())
        # no Origin (not a browser): served
        self.assertEqual(https(d.port, 'POST', '/whep/cam', body=OFFER, fp=fp, headers=post).status, 503)
        d.stop()

    def test_configured_certificate(self):
        cert, key = os.path.join(self.top, 'http.pem'), os.path.join(self.top, 'http.key')
        run('openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2',
            '-subj', '/CN=gw.test', '-addext', 'subjectAltName=IP:127.0.0.1')
        os.chmod(key, 0o600)
        d = Daemon(self.res, self.top, 'http_cert = "%s";\nhttp_key = "%s";' % (cert, key)).start()
        kind, fp, _ = logged_fingerprints(d.log())
        self.assertEqual(kind, 'configured')
        ctx = ssl.create_default_context(cafile=cert)
        with socket.create_connection(('127.0.0.1', d.port), timeout=20) as raw:
            with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as s:
                self.assertEqual(fingerprint(s.getpeercert(True)), fp)
        self.assertFalse(os.path.exists(os.path.join(os.path.dirname(d.db), 'http-selfsigned.pem')))
        d.stop()
        # a key others may read, a key of another certificate: no start
        os.chmod(key, 0o640)
        self.assertEqual(d.run_to_exit(), (1, 'srtpgw-control: error: http_key %s has mode 0640: group or others '
                                              'may access it; it must be 0600 or stricter\n' % key))
        other = os.path.join(self.top, 'other.key')
        run('openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other)
        os.chmod(other, 0o600)
        d.write('http_cert = "%s";\nhttp_key = "%s";' % (cert, other))
        self.assertEqual(d.run_to_exit(), (1, 'srtpgw-control: error: http_key %s is not the key of http_cert %s\n'
                                           % (other, cert)))

    def test_self_signed_kept_then_made_anew(self):
        d = Daemon(self.res, self.top, '').start()
        self.assertIn('HTTP: made a self-signed certificate (ECDSA P-256, IP:127.0.0.1, valid 397 days)', d.log())
        _, fp1, _ = logged_fingerprints(d.log())
        d.stop()
        d.start()
        self.assertNotIn('made a self-signed certificate', d.log())
        _, fp2, _ = logged_fingerprints(d.log())
        self.assertEqual(fp2, fp1, 'the certificate a client pinned is kept')
        d.stop()
        d.write('http_names = [ "gw.test", "192.0.2.9" ];')
        d.start()
        self.assertIn('HTTP: made a self-signed certificate (ECDSA P-256, IP:127.0.0.1, DNS:gw.test, IP:192.0.2.9, '
                      'valid 397 days) in %s: the names it should carry changed' %
                      os.path.join(os.path.dirname(d.db), 'http-selfsigned.pem'), d.log())
        _, fp3, _ = logged_fingerprints(d.log())
        self.assertNotEqual(fp3, fp1)
        d.stop()
        # a file that is not ours to replace
        path = os.path.join(os.path.dirname(d.db), 'http-selfsigned.pem')
        os.chmod(path, 0o644)
        code, out = d.run_to_exit()
        self.assertEqual(code, 1, out)
        self.assertIn('the HTTP API\'s self-signed certificate %s has mode 0644' % path, out)
        with open(path, 'w') as f:
            f.write('not a certificate\n')
        os.chmod(path, 0o600)
        code, out = d.run_to_exit()
        self.assertEqual((code, out), (1, 'srtpgw-control: error: %s: not a private key followed by its certificate '
                                          '(remove it, and a new self-signed certificate is made)\n' % path))

    def test_port_taken(self):
        with socket.socket() as s:
            s.bind(('127.0.0.1', 0))
            s.listen(1)
            port = s.getsockname()[1]
            d = Daemon(self.res, self.top, '')
            d.write('', port=port)
            code, out = d.run_to_exit()
        self.assertEqual(code, 1, out)
        self.assertIn('srtpgw-control: error: http_listen 127.0.0.1:%d: Address already in use\n' % port, out)


if __name__ == '__main__':
    unittest.main(verbosity=2)
