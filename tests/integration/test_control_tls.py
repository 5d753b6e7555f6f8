"""Remote administration (docs/control.md): the control protocol over TCP
with mutual TLS 1.3, srtpgwctl --connect HOST:PORT --cert --cert-key --ca.

A CA, the daemon's certificate (for 127.0.0.1) and clients' certificates
are made with the openssl command in a temporary directory. A client whose
certificate maps to a principal (by common name or by whole subject) acts
as it, and its changes reach the gateway. Refused, with nothing changed in
the daemon or the gateway: no client certificate, a certificate from
another CA, a subject no principal maps, TLS 1.2, plain TCP. srtpgwctl
refuses a daemon whose certificate another CA issued or that names
another host. A connection that never completes its handshake is closed
after 10 s; beyond 16 connections the daemon closes new ones at once. A
TLS key that others may read keeps the daemon from starting.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGW_CONTROL, SRTPGWCTL, run, wait_for  # noqa: E402
from ctltest import ControlCase, Sender, ViewerSock  # noqa: E402

GW4, PEER4 = '10.97.0.1', '10.97.0.2'
MAX_CONNS = 16


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Pki:
    """A CA and certificates signed by it, in a directory (openssl CLI)."""

    def __init__(self, top, name, cn):
        self.top, self.name = top, name
        self.ca, self.ca_key = self.path('ca.pem'), self.path('ca.key')
        run('openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
            '-keyout', self.ca_key, '-out', self.ca, '-days', '2', '-subj', '/CN=' + cn)

    def path(self, f):
        return os.path.join(self.top, '%s-%s' % (self.name, f))

    def issue(self, name, subject, ext):
        """(certificate, key) for subject ("/CN=x/O=y"), with extensions."""
        key, csr, cert, extf = (self.path(name + s) for s in ('.key', '.csr', '.pem', '.ext'))
        with open(extf, 'w') as f:
            f.write(ext + '\n')
        run('openssl', 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key,
            '-out', csr, '-subj', subject)
        run('openssl', 'x509', '-req', '-in', csr, '-CA', self.ca, '-CAkey', self.ca_key, '-set_serial',
            str(abs(hash(name)) % 1000000 + 1), '-days', '2', '-out', cert, '-extfile', extf)
        os.chmod(key, 0o600)
        return cert, key


class ControlTls(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']

    @classmethod
    def ready(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix='sgw-tls-')
        cls.res.add(shutil.rmtree, cls.pki_dir, ignore_errors=True)
        cls.pki = Pki(cls.pki_dir, 'good', 'srtpgw test CA')
        cls.other = Pki(cls.pki_dir, 'other', 'srtpgw other CA')
        cls.server = cls.pki.issue('server', '/CN=srtpgw-control',
                                   'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth')
        client = 'extendedKeyUsage=clientAuth'
        cls.ops = cls.pki.issue('ops', '/CN=ops1', client)
        cls.alice_app = cls.pki.issue('alice-app', '/CN=alice-app/O=Example', client)
        cls.stranger = cls.pki.issue('stranger', '/CN=stranger', client)
        cls.forged = cls.other.issue('forged', '/CN=ops1', client)  # admin's name, another CA
        cls.other_server = cls.other.issue('server', '/CN=srtpgw-control', 'subjectAltName=IP:127.0.0.1')
        cls.port = free_port()
        cls.CONTROL_CONFIG = '''tls_listen = "127.0.0.1:%d";
tls_cert = "%s";
tls_key = "%s";
tls_ca = "%s";
principals = (
  { cn = "ops1"; principal = "admin"; },
  { subject = "O=Example,CN=alice-app"; principal = "alice"; }
);''' % (cls.port, cls.server[0], cls.server[1], cls.pki.ca)
        super().ready()
        cls.control.ctl('owner', 'add', 'alice')
        cls.control.ctl('owner', 'add', 'bob')

    def remote(self, cert, *args, ca=None, host='127.0.0.1'):
        """srtpgwctl --json --connect ... ARGS with (certificate, key)."""
        return subprocess.run([SRTPGWCTL, '--connect', '%s:%d' % (host, self.port), '--cert', cert[0],
                               '--cert-key', cert[1], '--ca', ca or self.pki.ca, '--timeout', '20', '--json']
                              + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)

    def remote_ok(self, cert, *args):
        r = self.remote(cert, *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def raw_tls(self, line, cert=None, maximum=None):
        """line over TLS from Python's ssl with cert (or none): what came back
        (bytes, or the SSLError)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(self.pki.ca)
        if cert:
            ctx.load_cert_chain(*cert)
        if maximum:
            ctx.maximum_version = maximum
        with socket.create_connection(('127.0.0.1', self.port), timeout=10) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname='127.0.0.1') as s:
                    s.sendall(line)
                    return s.recv(65536)
            except (ssl.SSLError, ConnectionResetError) as e:
                return e

    def test_mapped_clients_act_as_their_principal(self):
        self.assertEqual(self.remote_ok(self.ops, 'whoami'), {'principal': 'admin', 'via': 'certificate "CN=ops1"'})
        self.assertEqual(self.remote_ok(self.alice_app, 'whoami'),
                         {'principal': 'alice', 'via': 'certificate "O=Example,CN=alice-app"'})
        # admin from afar: a stream and a viewer that the gateway forwards
        st = self.remote_ok(self.ops, 'stream', 'add', 'far-cam', '--owner', 'alice', '--listen', GW4 + ':24000')
        sock = self.sock()
        v = self.remote_ok(self.alice_app, 'viewer', 'add', 'far-tv', '--stream', 'far-cam', '--suite',
                           'AEAD_AES_128_GCM', '--to', '%s:%d' % (PEER4, sock.getsockname()[1]))
        self.assertEqual(v['owner'], 'alice')
        tv = ViewerSock(sock, 'AEAD_AES_128_GCM', base64.b64decode(v['key']))
        cam = Sender(self.sock(), GW4, 24000, st['suite'], base64.b64decode(st['key']))
        tv.expect(self, cam.send(5), 'the viewer added over TLS')
        # the text output over TLS, and what alice may not do
        r = self.remote(self.alice_app, 'stream', 'add', 'x', '--owner', 'bob')
        self.assertEqual((r.returncode, r.stderr), (4, 'srtpgwctl: permission denied: owner alice may not add '
                                                       'streams for owner bob\n'))
        self.assertEqual([s['name'] for s in self.remote_ok(self.alice_app, 'stream', 'show')['streams']],
                         ['far-cam'])
        self.ctl('stream', 'del', 'far-cam')

    def test_refused_clients_change_nothing(self):
        line = b'{"v":1,"cmd":"owner.add","args":{"name":"mallory"}}\n'
        before = self.snapshot()
        # no client certificate: the handshake fails, no request is read
        got = self.raw_tls(line)
        self.assertIsInstance(got, (ssl.SSLError, ConnectionResetError, bytes))
        self.assertFalse(isinstance(got, bytes) and b'"ok"' in got, got)
        # a certificate with admin's name from another CA
        r = self.remote(self.forged, 'owner', 'add', 'mallory')
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertRegex(r.stderr, r'^srtpgwctl: cannot connect to 127\.0\.0\.1:\d+: the daemon refused the TLS '
                         r'handshake \(.*unknown ca\)\n$')
        # a good certificate that no principal maps
        r = self.remote(self.stranger, 'owner', 'add', 'mallory')
        self.assertEqual(r.returncode, 4, r.stderr)
        self.assertEqual(r.stderr, 'srtpgwctl: permission denied: certificate "CN=stranger" is not mapped to a '
                         'principal (principals in control.conf) and sent no token\n')
        # TLS 1.2, however good the certificate
        got = self.raw_tls(line, self.ops, maximum=ssl.TLSVersion.TLSv1_2)
        self.assertIsInstance(got, ssl.SSLError)
        # plain TCP: no reply, nothing done
        with socket.create_connection(('127.0.0.1', self.port), timeout=10) as s:
            s.sendall(line)
            try:
                got = s.recv(65536)
            except ConnectionResetError:
                got = b''
        self.assertNotIn(b'{', got)
        self.assert_unchanged(before)
        log = self.control.read_log()
        self.assertIn('certificate "CN=stranger" is not mapped to a principal', log)

    def test_srtpgwctl_checks_the_daemon(self):
        r = self.remote(self.ops, 'whoami', ca=self.other.ca)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stderr, "srtpgwctl: cannot connect to 127.0.0.1:%d: the daemon's certificate: unable to "
                         "get local issuer certificate\n" % self.port)
        r = self.remote(self.ops, 'whoami', host='localhost')
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stderr, "srtpgwctl: cannot connect to localhost:%d: the daemon's certificate: hostname "
                         "mismatch\n" % self.port)
        # usage errors: nothing sent
        for args, err in [(['--connect', '127.0.0.1:%d' % self.port, 'whoami'],
                           '--connect needs --cert, --cert-key and --ca'),
                          (['--cert', self.ops[0], 'whoami'], '--cert, --cert-key and --ca go with --connect'),
                          (['--connect', 'nohost', '--cert', self.ops[0], '--cert-key', self.ops[1], '--ca',
                            self.pki.ca, 'whoami'], '--connect: "nohost" is not HOST:PORT or [ADDR6]:PORT'),
                          (['--connect', '127.0.0.1:%d' % self.port, '--cert', self.ops[0], '--cert-key',
                            self.stranger[1], '--ca', self.pki.ca, 'whoami'],
                           '--cert-key %s is not the key of --cert %s' % (self.stranger[1], self.ops[0]))]:
            with self.subTest(args=args):
                r = subprocess.run([SRTPGWCTL] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                self.assertEqual((r.returncode, r.stderr), (2, 'srtpgwctl: %s\n' % err))

    def test_handshake_timeout_and_connection_limit(self):
        idle = []
        try:
            for _ in range(MAX_CONNS):
                idle.append(socket.create_connection(('127.0.0.1', self.port), timeout=20))
            # accepted in order: the next finds no room and is closed at once
            extra = socket.create_connection(('127.0.0.1', self.port), timeout=5)
            t = time.monotonic()
            self.assertEqual(extra.recv(1), b'')
            self.assertLess(time.monotonic() - t, 3)
            extra.close()
            # no handshake within 10 s: each is closed (the event awaited)
            t = time.monotonic()
            for s in idle:
                try:
                    self.assertEqual(s.recv(1), b'')
                except ConnectionResetError:
                    pass
            self.assertGreater(time.monotonic() - t, 5)
        finally:
            for s in idle:
                s.close()
        self.assertIn('connections already open', self.control.read_log())
        self.assertIn('no handshake within 10 s', self.control.read_log())
        # and a client is served again
        self.assertEqual(self.remote_ok(self.ops, 'whoami')['principal'], 'admin')

    def test_tls_key_others_may_read(self):
        key = os.path.join(self.pki_dir, 'readable.key')
        shutil.copy(self.server[1], key)
        os.chmod(key, 0o644)
        conf = os.path.join(self.pki_dir, 'bad.conf')
        with open(self.control.conf) as f:
            text = f.read()
        with open(conf, 'w') as f:
            for old, new in ((self.server[1], key), (self.control.sock, os.path.join(self.pki_dir, 'bad.sock')),
                             (self.control.db, os.path.join(self.pki_dir, 'bad.db')),
                             (self.control.kek, os.path.join(self.pki_dir, 'bad.kek')),
                             ('127.0.0.1:%d' % self.port, '127.0.0.1:%d' % free_port())):
                text = text.replace(old, new)
            f.write(text)
        r = subprocess.run([SRTPGW_CONTROL, '--config', conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn('tls_key %s has mode 0644: group or others may access it; it must be 0600 or stricter' % key,
                      r.stdout)


if __name__ == '__main__':
    unittest.main(verbosity=2)
