"""The gateway's half of WebRTC: the punt channel (STUN and DTLS of marked
ports to srtpgw-control and back), a viewer's port of its own (its media
leaves from it with the viewer's payload types, its SRTCP comes in to it
and fills the viewer's statistics), a paused viewer, and a WHIP stream
whose STUN and DTLS are punted.

The real srtpgw on a net_pcap port over a veth; the punt channel's client
is this test (docs/agent-protocol.md, "The punt channel"); the hosts in
the namespace are plain UDP sockets and pylibsrtp.
"""
import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import agentproto as ap  # noqa: E402
from sgwtest import (GatewayCase, assert_nothing_queued, b64, counter_deltas,  # noqa: E402
                     marked_payload, new_key, pcap_port, recv_all, rtp, srtp_session,
                     wait_for)

GW4, PEER4 = '10.84.0.1', '10.84.0.2'
SUITE = 'AEAD_AES_128_GCM'
PUNT_MAGIC, PUNT_VERSION, PUNT_RX, PUNT_TX = 0x50574753, 1, 1, 2
PUNT_HDR = struct.Struct('=IHH24s24sII')
# a STUN binding request (RFC 5389 header; the gateway reads only the first byte)
STUN = bytes.fromhex('000100002112a442') + os.urandom(12)
DTLS = bytes([22, 0xfe, 0xfd]) + os.urandom(40)  # a DTLS 1.2 record's start


def endpoint_of(raw):
    family, a, port = raw[0], raw[4:20], struct.unpack('=H', raw[20:22])[0]
    if family == 4:
        return socket.inet_ntop(socket.AF_INET, a[:4]), port
    return socket.inet_ntop(socket.AF_INET6, a), port


class PuntClient:
    """srtpgw-control's side of the punt channel."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(path)

    def close(self):
        self.s.close()

    def recv(self):
        """(local, remote, payload) of the next datagram punted."""
        m = self.s.recv(65536)
        magic, version, kind, local, remote, n, _ = PUNT_HDR.unpack_from(m)
        assert (magic, version, kind) == (PUNT_MAGIC, PUNT_VERSION, PUNT_RX), (magic, version, kind)
        assert n == len(m) - PUNT_HDR.size, (n, len(m))
        return endpoint_of(local), endpoint_of(remote), m[PUNT_HDR.size:]

    def send(self, local, remote, payload, kind=PUNT_TX, magic=PUNT_MAGIC, length=None):
        self.s.send(PUNT_HDR.pack(magic, PUNT_VERSION, kind, ap.endpoint(*local), ap.endpoint(*remote),
                                  len(payload) if length is None else length, 0) + payload)


def rr(ssrc, fraction, lost, jitter, lsr, dlsr):
    """An RTCP receiver report with one block about ssrc."""
    return struct.pack('!BBHII', 0x81, 201, 7, 0xdeadbeef, ssrc) + struct.pack(
        '!IIIII', fraction << 24 | (lost & 0xffffff), 1000, jitter, lsr, dlsr)


def pli(ssrc):
    return struct.pack('!BBHII', 0x81, 206, 2, 0xdeadbeef, ssrc)


def sr(ssrc, ntp):
    return struct.pack('!BBHIQIII', 0x80, 200, 6, ssrc, ntp, 1234, 10, 1600)


class WebRTCPorts(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    next_port = 41000

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        cls.punt_path = os.path.join(cls.gw.dir, 'punt.sock')

    def setUp(self):
        self.punt = PuntClient(self.punt_path)
        self.addCleanup(self.punt.close)

    def new_port(self):
        WebRTCPorts.next_port += 2
        return WebRTCPorts.next_port

    def counters(self):
        return self.gw.counters()

    def wait_delta(self, c0, name, value):
        wait_for(lambda: counter_deltas(c0, self.counters()).get(name, 0) >= value, what=name)
        return counter_deltas(c0, self.counters())

    # ---- the punt channel -------------------------------------------------
    def test_punt_round_trip(self):
        """STUN and DTLS to a marked port reach the client with both
        endpoints; what the client sends leaves from that port; media to it
        is dropped (no keys yet)."""
        port = self.new_port()
        self.gw.apply(['port add %s:%d punt' % (GW4, port)])
        self.addCleanup(self.gw.apply, ['port del %s:%d' % (GW4, port)])
        peer = self.sock()
        c0 = self.counters()
        peer.sendto(STUN, (GW4, port))
        local, remote, payload = self.punt.recv()
        self.assertEqual((local, remote, payload), ((GW4, port), peer.getsockname(), STUN))
        peer.sendto(DTLS, (GW4, port))
        self.assertEqual(self.punt.recv(), ((GW4, port), peer.getsockname(), DTLS))

        answer = b'\x01\x01\x00\x00' + os.urandom(16)
        self.punt.send((GW4, port), peer.getsockname(), answer)
        (data, src), = recv_all(peer, 1)
        self.assertEqual((data, src), (answer, (GW4, port)))

        peer.sendto(rtp(1, payload=b'x' * 20), (GW4, port))
        d = self.wait_delta(c0, 'drop_port_not_ready', 1)
        self.assertEqual((d.get('punted'), d.get('punt_rx'), d.get('punt_tx')), (2, 2, 1), d)
        self.assertEqual(d.get('drop_punt', 0) + d.get('drop_punt_tx', 0), 0, d)
        assert_nothing_queued(peer)

    def test_punt_refusals(self):
        """The client cannot send from a port not marked for it, nor with a
        malformed message; STUN to an unmarked stream port is not punted;
        without a client, punted datagrams are counted and dropped."""
        port, plain_port = self.new_port(), self.new_port()
        k = new_key(SUITE)
        self.gw.apply(['port add %s:%d punt' % (GW4, port),
                       'stream add 990 owner=1 listen=%s:%d suite=%s key=%s' % (GW4, plain_port, SUITE, b64(k))])
        self.addCleanup(self.gw.apply, ['port del %s:%d' % (GW4, port), 'stream del 990'])
        peer = self.sock()
        c0 = self.counters()
        self.punt.send((GW4, plain_port), peer.getsockname(), b'\x01' * 20)   # not marked
        self.punt.send(('10.84.0.77', port), peer.getsockname(), b'\x01' * 20)  # not ours
        self.punt.send((GW4, port), peer.getsockname(), b'\x01' * 20, magic=0)  # bad magic
        self.punt.send((GW4, port), peer.getsockname(), b'\x01' * 20, length=19)  # bad length
        self.punt.send((GW4, port), peer.getsockname(), b'\x01' * 20, kind=PUNT_RX)
        self.punt.send((GW4, port), ('fd00::9', 5), b'\x01' * 20)  # family mismatch
        d = self.wait_delta(c0, 'drop_punt_tx', 6)
        self.assertEqual(d.get('drop_punt_tx'), 6, d)
        self.assertEqual(d.get('punt_tx', 0), 0, d)

        peer.sendto(STUN, (GW4, plain_port))
        d = self.wait_delta(c0, 'drop_not_rtp', 1)
        self.assertEqual(d.get('punted', 0), 0, d)

        self.punt.close()
        self.punt = PuntClient(self.punt_path)  # the gateway takes the newest client
        peer.sendto(STUN, (GW4, port))
        self.assertEqual(self.punt.recv()[2], STUN)
        self.punt.close()
        wait_for(lambda: 'punt: client disconnected' in self.gw.read_log(), what='disconnect seen')
        c1 = self.counters()
        peer.sendto(STUN, (GW4, port))
        d = self.wait_delta(c1, 'drop_punt', 1)
        self.assertEqual((d.get('punted'), d.get('drop_punt')), (1, 1), d)

    def test_punt_peer_refused(self):
        """A process the gateway does not allow is closed at once, even if
        the socket's mode let it connect."""
        def try_connect(path):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.settimeout(10)
            with s:
                s.connect(path)
                return 'closed' if s.recv(100) == b'' else 'open'
        mode_dir, mode_sock = os.stat(self.gw.dir).st_mode, os.stat(self.punt_path).st_mode
        os.chmod(self.gw.dir, 0o755)
        os.chmod(self.punt_path, 0o666)
        self.addCleanup(os.chmod, self.gw.dir, mode_dir & 0o7777)
        self.addCleanup(os.chmod, self.punt_path, mode_sock & 0o7777)
        c0 = self.counters()
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                out = try_connect(self.punt_path)
            except BaseException as e:
                out = repr(e)
            os.write(w, out.encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            out = f.read()
        os.waitpid(pid, 0)
        self.assertEqual(out, 'closed')
        self.assertEqual(counter_deltas(c0, self.counters()).get('agent_peer_refused'), 1)
        # the allowed client kept its connection
        peer = self.sock()
        port = self.new_port()
        self.gw.apply(['port add %s:%d punt' % (GW4, port)])
        self.addCleanup(self.gw.apply, ['port del %s:%d' % (GW4, port)])
        peer.sendto(STUN, (GW4, port))
        self.assertEqual(self.punt.recv()[2], STUN)

    # ---- a viewer's port of its own -------------------------------------------
    def viewer_setup(self, vid):
        """A camera stream and a WebRTC viewer on a port of its own."""
        listen, vport = self.new_port(), self.new_port()
        k_in, k_out, k_rtcp = new_key(SUITE), new_key(SUITE), new_key(SUITE)
        cam, view = self.sock(), self.sock()
        self.gw.apply(['stream add %d owner=1 listen=%s:%d suite=%s key=%s' % (vid, GW4, listen, SUITE, b64(k_in)),
                       'viewer add %d stream=%d owner=1 to=%s:%d suite=%s key=%s port=%d punt pt=96:111 '
                       'rtcp-key=%s' % (vid, vid, PEER4, view.getsockname()[1], SUITE, b64(k_out), vport,
                                        b64(k_rtcp))])
        self.addCleanup(self.gw.apply, ['stream del %d' % vid])
        return dict(listen=listen, vport=vport, cam=cam, view=view,
                    cam_tx=srtp_session(SUITE, k_in, outbound=True),
                    view_rx=srtp_session(SUITE, k_out, outbound=False),
                    view_tx=srtp_session(SUITE, k_rtcp, outbound=True))

    def test_viewer_port_media_and_rtcp(self):
        """Media leaves from the viewer's port with its payload type; its
        SRTCP there is read (report block, PLI, the round trip against the
        camera's SR); RTP and forged RTCP to it go nowhere; STUN to it is
        punted."""
        f = self.viewer_setup(801)
        c0 = self.counters()
        sent = [rtp(s, payload=marked_payload(801, s), marker=s % 2) for s in range(1, 6)]
        for p in sent:
            f['cam'].sendto(f['cam_tx'].protect(p), (GW4, f['listen']))
        got = recv_all(f['view'], 5)
        self.assertEqual({a for _, a in got}, {(GW4, f['vport'])})
        for (d, _), p in zip(got, sent):
            plain = f['view_rx'].unprotect(d)
            self.assertEqual(plain[1] & 0x7f, 111)
            self.assertEqual(plain[1] & 0x80, p[1] & 0x80)
            self.assertEqual(plain[:1] + plain[2:], p[:1] + p[2:])

        # the camera's SR reaches the viewer; the viewer's report names it
        ntp = 0x0123456789abcdef
        f['cam'].sendto(f['cam_tx'].protect_rtcp(sr(0x11223344, ntp)), (GW4, f['listen']))
        (d, a), = recv_all(f['view'], 1)
        self.assertEqual(f['view_rx'].unprotect_rtcp(d)[8:16], struct.pack('!Q', ntp))
        lsr = (ntp >> 16) & 0xffffffff
        report = rr(0x11223344, 64, 3, 77, lsr, 0) + pli(0x11223344)
        f['view'].sendto(f['view_tx'].protect_rtcp(report), (GW4, f['vport']))
        wait_for(lambda: self.gw.viewers()[801]['rr'] == 1, what='the report read')
        v = self.gw.viewers()[801]
        self.assertEqual((v['rtcp_in'], v['rtcp_bad'], v['rr'], v['pli'], v['fir'], v['nack']),
                         (1, 0, 1, 1, 0, 0))
        self.assertEqual((v['fraction_lost'], v['cumulative_lost'], v['jitter']), (64, 3, 77))
        self.assertGreater(v['rtt_us'], 0)
        self.assertLess(v['rtt_us'], 5000000)
        self.assertGreaterEqual(v['last_rr_ms'], 0)

        # RTCP under another key, RTP from the viewer: neither forwarded nor read
        forger = srtp_session(SUITE, new_key(SUITE), outbound=True)
        forger.protect_rtcp(report)  # index 1 was used: its second has index 2, not a replay
        f['view'].sendto(forger.protect_rtcp(report), (GW4, f['vport']))
        f['view'].sendto(rtp(1, payload=b'y' * 40), (GW4, f['vport']))
        wait_for(lambda: self.gw.viewers()[801]['rtcp_bad'] == 1, what='the forged report counted')
        d = self.wait_delta(c0, 'drop_viewer_media', 1)
        self.assertEqual(d.get('drop_srtp_auth'), 1, d)
        self.assertEqual(self.gw.viewers()[801]['rr'], 1)

        f['view'].sendto(STUN, (GW4, f['vport']))
        self.assertEqual(self.punt.recv(), ((GW4, f['vport']), f['view'].getsockname(), STUN))
        assert_nothing_queued(f['view'])
        assert_nothing_queued(f['cam'])

    def test_paused_viewer(self):
        """A paused viewer gets nothing (drop_viewer_paused); resumed, it
        gets what follows, its SRTP going on where it was."""
        f = self.viewer_setup(802)
        view_to = '%s:%d' % (PEER4, f['view'].getsockname()[1])
        seq = iter(range(1, 100))

        def send(n):
            out = [rtp(next(seq), payload=marked_payload(802, 0)) for _ in range(n)]
            for p in out:
                f['cam'].sendto(f['cam_tx'].protect(p), (GW4, f['listen']))
            return out
        send(3)
        self.assertEqual(len(recv_all(f['view'], 3)), 3)
        self.gw.apply(['viewer dest 802 to=none'])
        c0 = self.counters()
        send(4)
        d = self.wait_delta(c0, 'drop_viewer_paused', 4)
        self.assertEqual(d['drop_viewer_paused'], 4, d)
        assert_nothing_queued(f['view'])
        self.gw.apply(['viewer dest 802 to=%s' % view_to])
        sent = send(2)
        got = recv_all(f['view'], 2)
        self.assertEqual([f['view_rx'].unprotect(d)[12:] for d, _ in got], [p[12:] for p in sent])
        v = self.gw.viewers()[802]
        self.assertEqual(v['packets'], 5)

    # ---- keyframes ----------------------------------------------------------------
    def test_keyframe_requests(self):
        """A viewer joining asks the camera for a keyframe; viewers' PLIs and
        FIRs reach the camera as PLIs under its leg's key, at most one per
        300 ms; a stream without a camera leg forgets them (counted)."""
        f = self.viewer_setup(805)
        k_fb = new_key(SUITE)
        cam_rx = srtp_session(SUITE, k_fb, outbound=False)
        seq = iter(range(1, 1000))

        def send(n):
            for _ in range(n):
                f['cam'].sendto(f['cam_tx'].protect(rtp(next(seq), ssrc=0xcafe0001, payload=b'k' * 30)),
                                (GW4, f['listen']))

        def plis():
            out = []
            f['cam'].settimeout(0.2)
            try:
                while True:
                    d, a = f['cam'].recvfrom(2048)
                    self.assertEqual(a, (GW4, f['listen']))
                    out.append(cam_rx.unprotect_rtcp(d))
            except socket.timeout:
                pass
            return out

        # no camera leg yet: the viewer joined without a wish (nobody to ask);
        # its PLI is a wish forgotten at the next packet
        c0 = self.counters()
        send(1)
        recv_all(f['view'], 1)
        f['view'].sendto(f['view_tx'].protect_rtcp(pli(0xcafe0001)), (GW4, f['vport']))
        wait_for(lambda: self.gw.viewers()[805]['pli'] == 1, what='the PLI read')
        send(1)
        recv_all(f['view'], 1)
        d = self.wait_delta(c0, 'keyframe_no_camera', 1)
        self.assertEqual((d['keyframe_no_camera'], d.get('keyframe_requested', 0)), (1, 0), d)
        cam_to = '%s:%d' % (PEER4, f['cam'].getsockname()[1])
        self.gw.apply(['viewer add 905 stream=805 owner=1 to=%s suite=%s key=%s camera' % (cam_to, SUITE, b64(k_fb))])
        # a second viewer joins: one PLI at the next packet
        view2 = self.sock()
        k2 = new_key(SUITE)
        self.gw.apply(['viewer add 906 stream=805 owner=1 to=%s:%d suite=%s key=%s'
                       % (PEER4, view2.getsockname()[1], SUITE, b64(k2))])
        c1 = self.counters()
        send(1)
        got = plis()
        self.assertEqual(len(got), 1)
        self.assertEqual(got[0][:4], bytes([0x81, 206, 0, 2]))
        self.assertEqual(struct.unpack('!I', got[0][8:12])[0], 0xcafe0001)
        self.assertEqual(len(recv_all(view2, 1)), 1)
        self.assertEqual(len(recv_all(f['view'], 1)), 1)
        # the camera leg receives no media
        d = counter_deltas(c1, self.counters())
        self.assertEqual((d.get('keyframe_requested'), d.get('tx')), (1, 3), d)

        # ten PLIs and a FIR from the viewer within a few ms, the camera
        # sending all along for 0.9 s: at most four requests (0, 300, 600, 900 ms)
        fir = struct.pack('!BBHIIIBBH', 0x84, 206, 4, 0xdeadbeef, 0, 0xcafe0001, 1, 0, 0)
        for _ in range(10):
            f['view'].sendto(f['view_tx'].protect_rtcp(pli(0xcafe0001)), (GW4, f['vport']))
        f['view'].sendto(f['view_tx'].protect_rtcp(fir), (GW4, f['vport']))
        wait_for(lambda: self.gw.viewers()[805]['pli'] == 11 and self.gw.viewers()[805]['fir'] == 1,
                 what='the PLIs read')
        c2 = self.counters()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 0.9:
            send(1)
            time.sleep(0.02)
        n = counter_deltas(c2, self.counters()).get('keyframe_requested', 0)
        self.assertGreaterEqual(n, 1)
        self.assertLessEqual(n, 4)
        self.assertEqual(len(plis()), n)
        self.assertEqual(self.gw.viewers()[905]['packets'], 1 + n)

    # ---- an SDES camera's RTCP on listen port + 1 -----------------------------------
    def test_rtcp_port(self):
        """A stream with rtcp-port takes its camera's SRTCP on listen + 1 and
        forwards it to its viewers; RTP there is dropped; the port is
        taken for streams, viewers and session ports."""
        listen = self.new_port()
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        cam, view = self.sock(), self.sock()
        self.gw.apply(['stream add 806 owner=1 listen=%s:%d suite=%s key=%s rtcp-port' % (GW4, listen, SUITE, b64(k_in)),
                       'viewer add 806 stream=806 owner=1 to=%s:%d suite=%s key=%s'
                       % (PEER4, view.getsockname()[1], SUITE, b64(k_out))])
        self.addCleanup(self.gw.apply, ['stream del 806'])
        tx, rx = srtp_session(SUITE, k_in, outbound=True), srtp_session(SUITE, k_out, outbound=False)
        c0 = self.counters()
        cam.sendto(tx.protect(rtp(1, payload=b'm' * 40)), (GW4, listen))
        cam.sendto(tx.protect_rtcp(sr(0x11223344, 0x0102030405060708)), (GW4, listen + 1))
        got = recv_all(view, 2)
        self.assertEqual(rx.unprotect(got[0][0])[12:], b'm' * 40)
        self.assertEqual(rx.unprotect_rtcp(got[1][0])[8:16], bytes(range(1, 9)))
        cam.sendto(tx.protect(rtp(2, payload=b'm' * 40)), (GW4, listen + 1))
        d = self.wait_delta(c0, 'drop_rtcp_port_rtp', 1)
        self.assertEqual((d['drop_rtcp_port_rtp'], d.get('drop_no_flow', 0)), (1, 0), d)
        assert_nothing_queued(view)
        for op in ('port add %s:%d punt' % (GW4, listen + 1),
                   'stream add 807 owner=1 listen=%s:%d plain' % (GW4, listen + 1),
                   'viewer add 807 stream=806 owner=1 to=%s:7 plain port=%d' % (PEER4, listen + 1)):
            with self.assertRaises(Exception) as e:
                self.gw.apply([op])
            self.assertIn("RTCP port", str(e.exception))
        # a stream right below whose RTCP port would be ours: refused too
        with self.assertRaises(Exception) as e:
            self.gw.apply(['stream add 808 owner=1 listen=%s:%d plain rtcp-port' % (GW4, listen - 1)])
        self.assertIn("is stream 806's", str(e.exception))

    # ---- a WHIP stream ------------------------------------------------------------
    def test_whip_stream_punts(self):
        """A stream marked punt: its STUN and DTLS go to the client, its
        SRTP is forwarded as any stream's."""
        listen = self.new_port()
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        cam, view = self.sock(), self.sock()
        self.gw.apply(['stream add 803 owner=1 listen=%s:%d suite=%s key=%s punt' % (GW4, listen, SUITE, b64(k_in)),
                       'viewer add 803 stream=803 owner=1 to=%s:%d suite=%s key=%s'
                       % (PEER4, view.getsockname()[1], SUITE, b64(k_out))])
        self.addCleanup(self.gw.apply, ['stream del 803'])
        cam.sendto(STUN, (GW4, listen))
        self.assertEqual(self.punt.recv(), ((GW4, listen), cam.getsockname(), STUN))
        self.punt.send((GW4, listen), cam.getsockname(), b'\x01\x01' + bytes(18))
        self.assertEqual(recv_all(cam, 1)[0], (b'\x01\x01' + bytes(18), (GW4, listen)))
        p = rtp(1, payload=marked_payload(803, 1))
        cam.sendto(srtp_session(SUITE, k_in, outbound=True).protect(p), (GW4, listen))
        (d, _), = recv_all(view, 1)
        self.assertEqual(srtp_session(SUITE, k_out, outbound=False).unprotect(d), p)


if __name__ == '__main__':
    unittest.main(verbosity=2)
