"""srtpgw-control's ICE-lite agent and DTLS-SRTP server against independent
implementations (docs/webrtc.md, "ICE-lite", "DTLS-SRTP"), through
tests/integration/webrtc_peer (the sans-I/O modules on a loopback UDP
socket):

- aioice's STUN code (python3-aioice) builds requests that our agent
  verifies, and parses and verifies (MESSAGE-INTEGRITY, FINGERPRINT) every
  response it sends: success with XOR-MAPPED-ADDRESS, 487, 400; requests
  with a wrong password or username get nothing;
- aioice's full ICE agent, controlling, connects to our lite agent and
  nominates; our agent selects the address aioice nominated, and when
  aioice goes silent, consent lapses and nothing is selected;
- aiortc's RTCDtlsTransport (python3-aiortc) as the DTLS client over that
  ICE transport: the handshake completes, both ends export the same SRTP
  keys, and SRTP protected by aiortc with its client write key is
  unprotected with our ingress key (and ours with our egress key by
  aiortc); a client certificate that does not match the fingerprint fails.

aiortc 1.4 offers only SRTP_AES128_CM_SHA1_80, so GCM is shown by the unit
test against OpenSSL's client (tests/unit/test_dtls.c). No root needed.
"""
import asyncio
import json
import os
import select
import socket
import subprocess
import time
import unittest

import aioice
import aioice.ice
from aioice import stun
from aiortc import (RTCCertificate, RTCDtlsFingerprint, RTCDtlsParameters, RTCDtlsTransport,
                    RTCIceCandidate, RTCIceGatherer, RTCIceParameters, RTCIceTransport)
from pylibsrtp import Policy, Session

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
BUILD = os.environ.get('SRTPGW_BUILD', os.path.join(TOP, 'build'))
PEER = os.path.join(BUILD, 'tests', 'integration', 'webrtc_peer')
ANY_FP = 'sha-256 ' + ':'.join(['00'] * 32)

# aioice gathers no loopback candidates; these tests run on loopback only
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ['127.0.0.1']


class Peer:
    """webrtc_peer as a child: its first line, then its lines on demand."""

    def __init__(self, fingerprint, remote_ufrag=None, consent_ms=None):
        args = [PEER, '--fingerprint', fingerprint]
        if remote_ufrag:
            args += ['--remote-ufrag', remote_ufrag]
        if consent_ms:
            args += ['--consent-ms', str(consent_ms)]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.buf = b''
        self.lines = []
        info = self.wait(lambda o: 'port' in o, 10)
        self.port, self.ufrag, self.pwd = info['port'], info['ufrag'], info['pwd']
        self.fingerprint = info['fingerprint']

    def wait(self, pred, timeout=10.0):
        """The first line (a JSON object) not seen before that pred accepts."""
        deadline = time.monotonic() + timeout
        while True:
            while b'\n' in self.buf:
                line, self.buf = self.buf.split(b'\n', 1)
                obj = json.loads(line)
                self.lines.append(obj)
                if pred(obj):
                    return obj
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('webrtc_peer: no such line in %s' % self.lines)
            r, _, _ = select.select([self.proc.stdout], [], [], left)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError('webrtc_peer exited: %s' % self.lines)
                self.buf += chunk

    def close(self):
        """Ends it; it must exit 0 (an ASan build reports leaks and errors so)."""
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=10)
        self.proc.stdout.close()
        if rc != 0:
            raise AssertionError('webrtc_peer exited %d' % rc)


def request(ufrag, remote, pwd, nominate=False, controlled=False, integrity=True):
    msg = stun.Message(stun.Method.BINDING, stun.Class.REQUEST)
    msg.attributes['USERNAME'] = '%s:%s' % (ufrag, remote)
    msg.attributes['PRIORITY'] = 0x6E0001FF
    msg.attributes['ICE-CONTROLLED' if controlled else 'ICE-CONTROLLING'] = 0x1122334455667788
    if nominate:
        msg.attributes['USE-CANDIDATE'] = None
    if integrity:
        msg.add_message_integrity(pwd.encode())
    return msg


class StunWithAioice(unittest.TestCase):
    def setUp(self):
        self.peer = Peer(ANY_FP, remote_ufrag='pyth')
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(5)
        self.addr = ('127.0.0.1', self.peer.port)

    def tearDown(self):
        self.sock.close()
        self.peer.close()

    def exchange(self, msg):
        self.sock.sendto(bytes(msg), self.addr)
        data, src = self.sock.recvfrom(2048)
        self.assertEqual(src, self.addr)
        return data

    def test_success_verified_by_aioice(self):
        req = request(self.peer.ufrag, 'pyth', self.peer.pwd, nominate=True)
        data = self.exchange(req)
        resp = stun.parse_message(data, integrity_key=self.peer.pwd.encode())
        self.assertEqual(resp.message_class, stun.Class.RESPONSE)
        self.assertEqual(resp.message_method, stun.Method.BINDING)
        self.assertEqual(resp.transaction_id, req.transaction_id)
        self.assertEqual(resp.attributes['XOR-MAPPED-ADDRESS'], self.sock.getsockname())
        self.assertIn('FINGERPRINT', resp.attributes)  # verified by parse_message
        with self.assertRaisesRegex(ValueError, 'integrity'):
            stun.parse_message(data, integrity_key=b'not the password')
        me = '%s:%d' % self.sock.getsockname()
        self.peer.wait(lambda o: o.get('stun') == 'accepted' and o['from'] == me)
        self.peer.wait(lambda o: o.get('event') == 'selected' and o['addr'] == me)

    def test_forged_and_misaddressed_get_nothing(self):
        bad = [request(self.peer.ufrag, 'pyth', 'WrongPasswordOf24Chars++', nominate=True),
               request('other', 'pyth', self.peer.pwd, nominate=True),
               request(self.peer.ufrag, 'someone', self.peer.pwd, nominate=True)]
        for msg in bad:
            self.sock.sendto(bytes(msg), self.addr)
        # datagrams are handled in order: the next answer is the good one's
        good = request(self.peer.ufrag, 'pyth', self.peer.pwd)
        data = self.exchange(good)
        resp = stun.parse_message(data, integrity_key=self.peer.pwd.encode())
        self.assertEqual(resp.transaction_id, good.transaction_id)
        refused = [self.peer.wait(lambda o: 'stun' in o) for _ in range(4)]
        self.assertEqual([(o['stun'], o['reply']) for o in refused[:3]],
                         [('bad integrity', 0), ('unknown username', 0), ('unknown username', 0)])
        self.assertEqual(refused[3]['stun'], 'accepted')
        # no address was learned from the forged ones (the good one had no USE-CANDIDATE)
        self.assertFalse([o for o in self.peer.lines if o.get('event') == 'selected'])

    def test_errors_verified_by_aioice(self):
        data = self.exchange(request(self.peer.ufrag, 'pyth', self.peer.pwd, controlled=True))
        resp = stun.parse_message(data, integrity_key=self.peer.pwd.encode())
        self.assertEqual(resp.message_class, stun.Class.ERROR)
        self.assertEqual(resp.attributes['ERROR-CODE'], (487, 'Role Conflict'))
        data = self.exchange(request(self.peer.ufrag, 'pyth', self.peer.pwd, integrity=False))
        resp = stun.parse_message(data)
        self.assertEqual(resp.message_class, stun.Class.ERROR)
        self.assertEqual(resp.attributes['ERROR-CODE'], (400, 'Bad Request'))
        self.assertNotIn('MESSAGE-INTEGRITY', resp.attributes)


class IceWithAioiceAgent(unittest.TestCase):
    def test_aioice_connects_and_consent_lapses(self):
        async def run():
            conn = aioice.Connection(ice_controlling=True, components=1, use_ipv6=False)
            peer = Peer(ANY_FP, remote_ufrag=conn.local_username, consent_ms=1500)
            try:
                conn.remote_is_lite = True
                conn.remote_username = peer.ufrag
                conn.remote_password = peer.pwd
                await conn.gather_candidates()
                await conn.add_remote_candidate(aioice.Candidate(
                    foundation='1', component=1, transport='udp', priority=2130706431,
                    host='127.0.0.1', port=peer.port, type='host'))
                await conn.add_remote_candidate(None)
                await asyncio.wait_for(conn.connect(), 10)
                local = conn._nominated[1].local_candidate
                me = '%s:%d' % (local.host, local.port)
                sel = peer.wait(lambda o: o.get('event') == 'selected')
                self.assertEqual(sel['addr'], me)
                self.assertTrue(sel['nominated'])
                # aioice checked without, then with USE-CANDIDATE (regular nomination)
                checks = [o for o in peer.lines if o.get('event') == 'check']
                self.assertFalse(checks[0]['nominated'])
                await conn.close()
                lapse = peer.wait(lambda o: o.get('event') == 'consent-lapsed', 10)
                self.assertEqual(lapse['addr'], me)
                none = peer.wait(lambda o: o.get('event') == 'selected', 5)
                self.assertEqual(none['addr'], '-')
            finally:
                peer.close()
        asyncio.run(run())


class DtlsWithAiortc(unittest.TestCase):
    async def connect(self, fingerprint_for_peer=None):
        cert = RTCCertificate.generateCertificate()
        fp = [f for f in cert.getFingerprints() if f.algorithm == 'sha-256'][0]
        gatherer = RTCIceGatherer()
        await gatherer.gather()
        peer = Peer(fingerprint_for_peer or 'sha-256 ' + fp.value,
                    remote_ufrag=gatherer.getLocalParameters().usernameFragment)
        ice = RTCIceTransport(gatherer)
        ice._connection.ice_controlling = True  # the browser's side of a lite peer
        dtls = RTCDtlsTransport(ice, [cert])
        dtls._set_role('client')  # what RTCPeerConnection does for a=setup:passive
        await ice.addRemoteCandidate(RTCIceCandidate(
            component=1, foundation='1', ip='127.0.0.1', port=peer.port, priority=2130706431,
            protocol='udp', type='host'))
        await ice.addRemoteCandidate(None)
        await asyncio.wait_for(ice.start(RTCIceParameters(
            usernameFragment=peer.ufrag, password=peer.pwd, iceLite=True)), 10)
        server_fp = peer.fingerprint.split(' ', 1)[1]
        await asyncio.wait_for(dtls.start(RTCDtlsParameters(
            fingerprints=[RTCDtlsFingerprint('sha-256', server_fp)], role='server')), 20)
        return peer, ice, dtls

    def test_handshake_and_keys(self):
        async def run():
            peer, ice, dtls = await self.connect()
            try:
                self.assertEqual(dtls.state, 'connected')
                ev = peer.wait(lambda o: o.get('event', '').startswith('dtls-'))
                self.assertEqual(ev['event'], 'dtls-connected')
                self.assertEqual(ev['suite'], 'AES_CM_128_HMAC_SHA1_80')
                # RFC 5764 4.2: client key, server key, client salt, server salt
                km = dtls.ssl.export_keying_material(b'EXTRACTOR-dtls_srtp', 60)
                self.assertEqual(bytes.fromhex(ev['ingress']), km[0:16] + km[32:46])
                self.assertEqual(bytes.fromhex(ev['egress']), km[16:32] + km[46:60])
                # what the peer protects, our ingress key opens; ours, the peer opens
                rtp = bytes.fromhex('80600001000000641122334400') + b'camera'
                ours_in = Session(Policy(key=bytes.fromhex(ev['ingress']),
                                         ssrc_type=Policy.SSRC_ANY_INBOUND))
                self.assertEqual(ours_in.unprotect(dtls._tx_srtp.protect(rtp)), rtp)
                ours_out = Session(Policy(key=bytes.fromhex(ev['egress']),
                                          ssrc_type=Policy.SSRC_ANY_OUTBOUND))
                self.assertEqual(dtls._rx_srtp.unprotect(ours_out.protect(rtp)), rtp)
                # DTLS came only after an authenticated check, from that address
                self.assertFalse([o for o in peer.lines if o.get('dtls') == 'refused'])
                await dtls.stop()
                peer.wait(lambda o: o.get('event') == 'dtls-closed')
            finally:
                await ice.stop()
                peer.close()
        asyncio.run(run())

    def test_wrong_fingerprint_fails(self):
        async def run():
            other = RTCCertificate.generateCertificate()
            ofp = [f for f in other.getFingerprints() if f.algorithm == 'sha-256'][0]
            peer, ice, dtls = await self.connect('sha-256 ' + ofp.value)
            try:
                self.assertEqual(dtls.state, 'failed')
                ev = peer.wait(lambda o: o.get('event', '').startswith('dtls-'))
                self.assertEqual(ev['event'], 'dtls-failed')
                self.assertIn('does not match', ev['error'])
            finally:
                await ice.stop()
                peer.close()
        asyncio.run(run())


if __name__ == '__main__':
    unittest.main()
