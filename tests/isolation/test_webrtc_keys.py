"""The WebRTC display's key export (webrtc_display.export_srtp_keys) gives
the keys aiortc really uses: two aiortc peers on the loopback (no srtpgw,
no root), the receiving one the DTLS client as a WHEP viewer of srtpgw is;
every SRTP datagram it received (taken where aiortc reads them off ICE)
decrypts with the exported server write key under the checker's own SRTP
code (srtpcheck), to the bytes aiortc's libsrtp made of it; none with the
client key; and RFC 5764's split of the exporter output checked by hand.
And the WebRTC phase's checker (webrtc_phase.PhaseChecker) calls each kind
of wrong delivery what it is.
"""
import asyncio
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, HERE)
from isocommon import MAGIC, MARKER  # noqa: E402
from srtpcheck import RtcpKey, RxKey, TxKey, rtp_header_len  # noqa: E402
from webrtc_phase import INC, PhaseChecker, Session, sender_report  # noqa: E402
from webrtc_display import Counting, export_srtp_keys, only_address, split_keying_material  # noqa: E402

WANT = 64


def is_rtcp(d):
    return len(d) > 1 and 192 <= d[1] <= 223


async def two_peers(n_packets, timeout=15):
    """(suite, client key, server key, [SRTP datagrams the receiver got],
    aiortc's count of what it decrypted, its DTLS role)."""
    from aiortc import RTCPeerConnection
    from aiortc.mediastreams import VideoStreamTrack
    only_address('127.0.0.1')
    tx, rx = RTCPeerConnection(), RTCPeerConnection()
    try:
        tx.addTransceiver(VideoStreamTrack(), direction='sendonly')
        await tx.setLocalDescription(await tx.createOffer())
        await rx.setRemoteDescription(tx.localDescription)
        await rx.setLocalDescription(await rx.createAnswer())
        dtls = rx.getTransceivers()[0].receiver.transport
        got, live = [], asyncio.get_event_loop().create_future()
        enough = asyncio.Event()
        ice = dtls.transport
        recv = ice._recv

        async def tap():
            # what aiortc reads off the ICE connection, before DTLS or SRTP
            data = await recv()
            if data and 127 < data[0] < 192:
                got.append(bytes(data))
                if len([d for d in got if not is_rtcp(d)]) >= n_packets:
                    enough.set()
            return data
        ice._recv = tap

        @dtls.on('statechange')
        def on_state():
            if dtls.state == 'connected' and not live.done():
                dtls._rx_srtp = Counting(dtls._rx_srtp)
                live.set_result(export_srtp_keys(dtls))

        await tx.setRemoteDescription(rx.localDescription)
        suite, client, server = await asyncio.wait_for(live, timeout)
        await asyncio.wait_for(enough.wait(), timeout)
        role = dtls._role
        counted = dtls._rx_srtp.rtp
        # the same key material, through aiortc's own libsrtp session
        import pylibsrtp
        ref = pylibsrtp.Session(pylibsrtp.Policy(key=server, ssrc_type=pylibsrtp.Policy.SSRC_ANY_INBOUND))
        plains = []
        for d in got:
            if not is_rtcp(d):
                try:
                    plains.append(ref.unprotect(d))
                except pylibsrtp.Error:
                    plains.append(None)
        return suite, client, server, got, counted, role, plains
    finally:
        await tx.close()
        await rx.close()


class ExportedKeys(unittest.TestCase):
    def test_split(self):
        km = bytes(range(60))
        c, s = split_keying_material(km, 16, 14)
        self.assertEqual(c, km[0:16] + km[32:46])
        self.assertEqual(s, km[16:32] + km[46:60])
        c, s = split_keying_material(bytes(range(88)), 32, 12)   # AEAD_AES_256_GCM
        self.assertEqual((c[:32], c[32:], s[:32], s[32:]),
                         (bytes(range(0, 32)), bytes(range(64, 76)), bytes(range(32, 64)), bytes(range(76, 88))))

    def test_exported_keys_decrypt_what_aiortc_received(self):
        suite, client, server, got, counted, role, plains = asyncio.run(two_peers(40))
        self.assertEqual(role, 'client')   # as a WHEP viewer: the gateway answers setup:passive
        self.assertEqual(suite, 'AES_CM_128_HMAC_SHA1_80')   # the one profile aiortc 1.4 offers
        self.assertEqual((len(client), len(server)), (30, 30))
        self.assertNotEqual(client, server)
        rtp = [d for d in got if not is_rtcp(d)]
        self.assertGreaterEqual(len(rtp), 40)
        k, wrong = RxKey(suite, server), RxKey(suite, client)
        for d, ref in zip(rtp, plains):
            plain = k.unprotect(d, WANT)
            self.assertIsNotNone(plain, 'a datagram aiortc received does not decrypt with the exported key')
            self.assertIsNotNone(ref)
            h = rtp_header_len(ref)
            self.assertEqual(plain, ref[h:h + WANT])
            self.assertIsNone(wrong.unprotect(d, WANT))
        # aiortc decrypted every one of them with its own session
        self.assertGreaterEqual(counted, len(rtp) - 1)  # the last may still be on its way up
        self.assertLessEqual(counted, len(rtp))
        ssrcs = {struct.unpack('!I', d[8:12])[0] for d in rtp}
        self.assertEqual(len(ssrcs), 1)


class PhaseCheckerDecides(unittest.TestCase):
    SUITE = 'AES_CM_128_HMAC_SHA1_80'

    def setUp(self):
        self.ck = PhaseChecker({0: ('a1', 'wa'), 1: ('b1', 'wb')})
        self.keys = [os.urandom(30) for _ in range(3)]
        # d0 (wa) on a1; d1 (wa) on b1 by a grant [100, 200); an SDES viewer of wb on b1, ended at 300
        self.d0 = Session('d0', 'webrtc', 'wa', 'a1', '10.90.2.1', self.SUITE, self.keys[0], 10)
        self.d1 = Session('d1', 'webrtc', 'wa', 'b1', '10.90.2.2', self.SUITE, self.keys[1], 90)
        self.v = Session('v', 'sdes', 'wb', 'b1', ('10.90.2.100', 50000), self.SUITE, self.keys[2], 10)
        self.v.t_end = 300
        for x in (self.d0, self.d1, self.v):
            self.ck.add(x)
        self.ck.grants.append(['b1', 'wa', 100, 200])
        self.seq = 0

    def pkt(self, key, slot, t, inc=INC):
        self.seq += 1
        body = MARKER.pack(MAGIC, 0, 0, slot, inc, self.seq, t) + bytes(8)
        hdr = struct.pack('!BBHII', 0x80, 96, self.seq, 0, 0x1234)
        return TxKey(self.SUITE, key).protect(hdr + body, self.seq)

    def test_kinds(self):
        ck = self.ck
        ck.check(50, '10.90.2.1', 1, self.pkt(self.keys[0], 0, 40))        # fine
        ck.check(150, '10.90.2.2', 1, self.pkt(self.keys[1], 1, 140))      # fine: granted
        ck.check(250, '10.90.2.2', 1, self.pkt(self.keys[1], 1, 199))      # sent before the grant's end
        ck.check(320, ('10.90.2.100'), 50000, self.pkt(self.keys[2], 1, 299))   # sent before the viewer's end
        self.assertEqual((ck.c['checked'], sum(ck.mis.values()), ck.c['arrived_after_end']), (4, 0, 1))
        ck.check(250, '10.90.2.2', 1, self.pkt(self.keys[1], 1, 200))      # sent at the grant's end
        ck.check(95, '10.90.2.2', 1, self.pkt(self.keys[1], 1, 90))        # received before the grant
        ck.check(60, '10.90.2.1', 1, self.pkt(self.keys[0], 1, 50))        # b1 under d0's key
        ck.check(320, '10.90.2.100', 50000, self.pkt(self.keys[2], 1, 300))    # after the viewer's end
        ck.check(60, '10.90.2.3', 1, self.pkt(self.keys[0], 0, 50))        # to nobody
        self.assertEqual(dict(ck.mis), {'not_authorised': 2, 'wrong_context': 1, 'outside_window': 1,
                                        'unknown_destination': 1})
        self.assertEqual(dict(ck.mis_at), {'webrtc': 3, 'sdes': 1, 'nobody': 1})
        ck.check(60, '10.90.2.1', 1, self.pkt(self.keys[1], 1, 50))        # d1's key at d0
        ck.check(60, '10.90.2.1', 1, self.pkt(self.keys[0], 0, 50, inc=7))   # not this phase's stream
        self.assertEqual((ck.c['undecryptable'], ck.c['no_marker']), (1, 1))
        p = self.pkt(self.keys[0], 0, 40)
        ck.check(50, '10.90.2.1', 1, p)
        ck.check(51, '10.90.2.1', 1, p)
        q = bytearray(self.pkt(self.keys[0], 0, 41))
        self.seq -= 1
        q2 = self.pkt(self.keys[0], 0, 42)      # the same sequence, other bytes
        ck.check(50, '10.90.2.1', 1, bytes(q))
        ck.check(50, '10.90.2.1', 1, q2)
        self.assertEqual((ck.c['duplicates_network'], ck.c['duplicates_gateway']), (1, 1))

    def test_sender_reports(self):
        ck = self.ck
        sr = sender_report(0x1234, 0, 1, 3000, 10)   # a1's, marked sent now
        ck.check(60 + 10**30, '10.90.2.1', 1, RtcpKey(self.SUITE, self.keys[0]).protect(sr, 1))
        self.assertEqual((ck.c['checked'], ck.c['checked_rtcp'], self.d0.rtcp_checked, self.d0.checked), (1, 1, 1, 0))
        sr = sender_report(0x1234, 1, 2, 3000, 10)   # b1's under d0's key
        ck.check(60 + 10**30, '10.90.2.1', 1, RtcpKey(self.SUITE, self.keys[0]).protect(sr, 2))
        self.assertEqual(dict(ck.mis), {'wrong_context': 1})
        ck.check(60, '10.90.2.1', 1, RtcpKey(self.SUITE, self.keys[2]).protect(sr, 3))   # v's key at d0
        self.assertEqual(ck.c['undecryptable'], 1)


if __name__ == '__main__':
    unittest.main(verbosity=2)
