"""The WebRTC display's key export (webrtc_display.export_srtp_keys) gives
the keys aiortc really uses: two aiortc peers on the loopback (no srtpgw,
no root), the receiving one the DTLS client as a WHEP viewer of srtpgw is;
every SRTP datagram it received (taken where aiortc reads them off ICE)
decrypts with the exported server write key under the checker's own SRTP
code (srtpcheck), to the bytes aiortc's libsrtp made of it; none with the
client key; and RFC 5764's split of the exporter output checked by hand.
"""
import asyncio
import os
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from srtpcheck import RxKey, rtp_header_len  # noqa: E402
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


if __name__ == '__main__':
    unittest.main(verbosity=2)
