"""Bad packets are dropped, counted under exactly one reason, and reach no
viewer (DESIGN invariants 4 and 7).

The real srtpgw on a net_pcap port over a veth; the namespace sends SRTP
(pylibsrtp) through UDP sockets, and malformed frames built with scapy
through a raw AF_PACKET socket on its end of the veth. After the bad
packets, a valid sentinel on the same stream and socket must arrive at the
stream's viewer; then nothing else may be queued at any viewer and the
drop counters must have grown by exactly the number of bad packets.
"""
import json
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, assert_nothing_queued, b64, counter_deltas,  # noqa: E402
                     marked_payload, new_key, pcap_port, recv_all, rtp, srtp_session,
                     wait_for)

GW4, PEER4, PEER4B = '10.78.0.1', '10.78.0.2', '10.78.0.3'
NOT_GW4 = '10.78.0.77'  # in the gateway's prefix, not its address
IN_SUITE, OUT_SUITE = 'AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'
# Drops the namespace's own background traffic may cause (IPv6 router
# solicitations, MLD reports go to the slow path and are dropped there).
NOISE = {'drop_icmp_other', 'drop_arp_other'}
# stream ids
MAIN, OTHER, PINNED, PINNED_ADDR, LONELY = 1, 2, 3, 5, 4


class BadPackets(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24', PEER4B + '/24']

    @classmethod
    def port(cls):
        # viewers' next hop known from the start: no ARP race
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        # the gateway's MAC, learned by the namespace's ARP
        cls.ns.run('ping', '-c', '1', '-W', '5', GW4)
        neigh = json.loads(cls.ns.run('ip', '-j', 'neigh', 'show', GW4, 'dev', cls.nsif).stdout)
        cls.gw_mac = neigh[0]['lladdr']
        cls._setup_streams()

    @classmethod
    def _sock(cls, addr=PEER4):
        s = cls.ns.socket()
        s.bind((addr, 0))
        cls.res.add(s.close)
        return s

    @classmethod
    def _setup_streams(cls):
        """Streams with one viewer each (SRTP in, the viewer's own key out),
        a stream pinned to a source address:port, one pinned to an address,
        and one without viewers."""
        cls.k_in = {sid: new_key(IN_SUITE) for sid in (MAIN, OTHER, PINNED, PINNED_ADDR, LONELY)}
        cls.listen = {sid: 21000 + 2 * sid for sid in cls.k_in}
        cls.cam = {sid: cls._sock() for sid in cls.k_in}
        cls.tx = {sid: srtp_session(IN_SUITE, k, outbound=True) for sid, k in cls.k_in.items()}
        cls.seq = {sid: 30000 for sid in cls.k_in}
        cls.view, cls.rx = {}, {}
        ops = []
        for sid, k in cls.k_in.items():
            src = ''
            if sid == PINNED:
                src = ' source=%s:%d' % (PEER4, cls.cam[sid].getsockname()[1])
            elif sid == PINNED_ADDR:
                src = ' source=%s' % PEER4
            ops.append('stream add %d owner=1 listen=%s:%d%s suite=%s key=%s' %
                       (sid, GW4, cls.listen[sid], src, IN_SUITE, b64(k)))
            if sid == LONELY:
                continue
            kv = new_key(OUT_SUITE)
            cls.view[sid] = cls._sock()
            cls.rx[sid] = srtp_session(OUT_SUITE, kv, outbound=False)
            ops.append('viewer add %d stream=%d owner=1 to=%s:%d suite=%s key=%s' %
                       (sid * 10 + 1, sid, PEER4, cls.view[sid].getsockname()[1], OUT_SUITE, b64(kv)))
        cls.gw.apply(ops)
        # raw frames from the namespace's end of the veth
        with cls.ns.inside():
            cls.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        cls.res.add(cls.raw.close)
        cls.raw.bind((cls.nsif, 0))

    def setUp(self):
        # whatever a failed test left behind must not fail the next one
        for s in self.view.values():
            s.setblocking(False)
            try:
                while s.recv(65535):
                    pass
            except BlockingIOError:
                pass
            finally:
                s.setblocking(True)

    # ---- helpers ----------------------------------------------------------
    def packet(self, sid, tx=None):
        """(plain RTP, SRTP) of the stream's next sequence number."""
        seq = self.seq[sid]
        self.seq[sid] += 1
        plain = rtp(seq, ts=seq * 90, payload=marked_payload(sid, seq))
        return plain, (tx or self.tx[sid]).protect(plain)

    def frame(self, sid, srtp, **over):
        """A UDP frame from the stream's camera to its listen port, as
        scapy layers; over replaces fields (ether_dst, ip_dst, ...)."""
        from scapy.all import IP, UDP, Ether, Raw
        return (Ether(src=self.ns_mac, dst=over.get('ether_dst', self.gw_mac)) /
                IP(src=PEER4, dst=over.get('ip_dst', GW4)) /
                UDP(sport=self.cam[sid].getsockname()[1], dport=self.listen[sid]) /
                Raw(load=srtp))

    def send_raw(self, frame):
        self.raw.send(bytes(frame))

    def sentinel(self, sid, send):
        """Send the stream's next valid packet with send(srtp); it must reach
        the stream's viewer and decrypt with the viewer's key."""
        plain, srtp = self.packet(sid)
        send(srtp)
        (data, addr), = recv_all(self.view[sid], 1)
        self.assertEqual(self.rx[sid].unprotect(data), plain, 'sentinel')
        self.assertEqual(addr, (GW4, self.listen[sid]))

    def assert_quiet(self):
        """No viewer has anything more queued."""
        for sid, s in self.view.items():
            assert_nothing_queued(s)

    def drops(self):
        return {k: v for k, v in self.gw.counters().items() if k.startswith('drop_') and k not in NOISE}

    def assert_drops(self, before, expect):
        """Wait until the drop counters grew by expect, then check they grew
        by exactly that and nothing else."""
        def reached():
            d = counter_deltas(before, self.drops())
            return [d] if all(d.get(k, 0) >= v for k, v in expect.items()) else None
        got, = wait_for(reached, what='drop counters %r' % expect)
        self.assertEqual(got, expect)

    def stream_delta(self, before, sid):
        after = self.gw.streams()[sid]
        return {k: after[k] - before[sid][k] for k in ('packets', 'auth_fail', 'replay_fail', 'other_fail')}

    def via_cam(self, sid):
        return lambda srtp: self.cam[sid].sendto(srtp, (GW4, self.listen[sid]))

    # ---- SRTP failures -----------------------------------------------------
    def test_wrong_key(self):
        """SRTP protected with another key: drop_srtp_auth and the stream's
        auth_fail, once per packet."""
        n = 5
        before, st0 = self.drops(), self.gw.streams()
        wrong = srtp_session(IN_SUITE, new_key(IN_SUITE), outbound=True)
        for _ in range(n):
            _, srtp = self.packet(MAIN, tx=wrong)
            self.via_cam(MAIN)(srtp)
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        self.assert_drops(before, {'drop_srtp_auth': n})
        self.assertEqual(self.stream_delta(st0, MAIN),
                         {'packets': 1, 'auth_fail': n, 'replay_fail': 0, 'other_fail': 0})

    def test_replayed(self):
        """Packets sent a second time, and one older than the replay window:
        drop_srtp_replay and replay_fail, once per packet; the originals
        were delivered once."""
        before, st0 = self.drops(), self.gw.streams()
        orig = [self.packet(MAIN) for _ in range(3)]
        for _, srtp in orig:
            self.via_cam(MAIN)(srtp)
        got = recv_all(self.view[MAIN], len(orig))
        self.assertEqual([self.rx[MAIN].unprotect(d) for d, _ in got], [p for p, _ in orig])
        for _, srtp in orig:
            self.via_cam(MAIN)(srtp)
        # a valid packet 1000 behind (window 128): too old
        old_tx = srtp_session(IN_SUITE, self.k_in[MAIN], outbound=True)
        old_seq = self.seq[MAIN] - 1000
        self.via_cam(MAIN)(old_tx.protect(rtp(old_seq, payload=marked_payload(MAIN, old_seq))))
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        self.assert_drops(before, {'drop_srtp_replay': 4})
        self.assertEqual(self.stream_delta(st0, MAIN),
                         {'packets': 4, 'auth_fail': 0, 'replay_fail': 4, 'other_fail': 0})

    def test_truncated_srtp(self):
        """SRTP cut short (part of the tag, most of the payload): never OK,
        counted as an authentication or other libsrtp failure."""
        before, st0 = self.drops(), self.gw.streams()
        cuts = []
        for keep in (lambda b: b[:-4], lambda b: b[:-10], lambda b: b[:16], lambda b: b[:13]):
            _, srtp = self.packet(MAIN)
            cuts.append(keep(srtp))
        for c in cuts:
            self.via_cam(MAIN)(c)
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        n = len(cuts)

        def reached():
            d = counter_deltas(before, self.drops())
            return d if d.get('drop_srtp_auth', 0) + d.get('drop_srtp_other', 0) >= n else None
        d = wait_for(reached, what='SRTP failures')
        self.assertEqual(d.get('drop_srtp_auth', 0) + d.get('drop_srtp_other', 0), n)
        self.assertEqual(set(d) - {'drop_srtp_auth', 'drop_srtp_other'}, set(), d)
        sd = self.stream_delta(st0, MAIN)
        self.assertEqual((sd['packets'], sd['replay_fail'], sd['auth_fail'] + sd['other_fail']), (1, 0, n))

    # ---- malformed frames ---------------------------------------------------
    def raw_case(self, counter, make, n=3):
        """n frames made by make(srtp) (each carrying a valid SRTP packet of
        the main stream), then the sentinel through the same raw socket."""
        before, st0 = self.drops(), self.gw.streams()
        for _ in range(n):
            _, srtp = self.packet(MAIN)
            self.send_raw(make(srtp))
        self.sentinel(MAIN, lambda srtp: self.send_raw(self.frame(MAIN, srtp)))
        self.assert_quiet()
        self.assert_drops(before, {counter: n})
        self.assertEqual(self.stream_delta(st0, MAIN),
                         {'packets': 1, 'auth_fail': 0, 'replay_fail': 0, 'other_fail': 0})

    def test_ip_bad_checksum(self):
        from scapy.all import IP, Ether

        def make(srtp):
            f = Ether(bytes(self.frame(MAIN, srtp)))
            f[IP].chksum ^= 0x00ff
            return f
        self.raw_case('drop_ip_malformed', make)

    def test_ip_total_length_too_long(self):
        from scapy.all import IP

        def make(srtp):
            f = self.frame(MAIN, srtp)
            f[IP].len = len(f[IP]) + 40
            return f
        self.raw_case('drop_ip_malformed', make)

    def test_udp_length_over_ip_payload(self):
        from scapy.all import UDP

        def make(srtp):
            f = self.frame(MAIN, srtp)
            f[UDP].len = 8 + len(srtp) + 20
            return f
        self.raw_case('drop_udp_malformed', make)

    def test_ip_fragments(self):
        from scapy.all import IP
        kinds = iter([dict(flags='MF', frag=0), dict(flags=0, frag=8), dict(flags='MF', frag=16)])

        def make(srtp):
            f = self.frame(MAIN, srtp)
            for k, v in next(kinds).items():
                setattr(f[IP], k, v)
            return f
        self.raw_case('drop_ip_fragment', make)

    def test_not_a_gateway_address(self):
        self.raw_case('drop_ip_not_local', lambda srtp: self.frame(MAIN, srtp, ip_dst=NOT_GW4))

    def test_wrong_destination_mac(self):
        self.raw_case('drop_l2_not_us', lambda srtp: self.frame(MAIN, srtp, ether_dst='02:00:5e:00:53:99'))

    def test_unknown_ethertype(self):
        from scapy.all import Ether

        def make(srtp):
            f = self.frame(MAIN, srtp)
            return Ether(src=self.ns_mac, dst=self.gw_mac, type=0x88b5) / bytes(f.payload)
        self.raw_case('drop_ethertype', make)

    # ---- not RTP, no stream, wrong source ----------------------------------
    def test_stun_and_dtls(self):
        """RFC 7983 demultiplexing: STUN (first byte 0..3) and DTLS (20..63)
        to a stream's port are not RTP."""
        before = self.drops()
        stun = bytes.fromhex('0001 0000 2112a442') + os.urandom(12)  # binding request
        dtls = bytes.fromhex('16 fefd 0000 000000000000 0010') + os.urandom(16)  # handshake
        for p in (stun, dtls, stun, dtls):
            self.via_cam(MAIN)(p)
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        self.assert_drops(before, {'drop_not_rtp': 4})

    def test_rtp_shorter_than_header(self):
        """RTP under 12 bytes, RTCP (RFC 5761 types 192..223) under 8."""
        before = self.drops()
        short = [rtp(1)[:n] for n in (1, 2, 8, 11)] + [bytes.fromhex('80c80001'), bytes.fromhex('81c9000100')]
        for p in short:
            self.via_cam(MAIN)(p)
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        self.assert_drops(before, {'drop_rtp_malformed': len(short)})

    def test_port_without_stream(self):
        """Valid SRTP of the main stream sent to ports no stream listens on."""
        before = self.drops()
        for port in (21001, 21999, 5004):
            _, srtp = self.packet(MAIN)
            self.cam[MAIN].sendto(srtp, (GW4, port))
        self.sentinel(MAIN, self.via_cam(MAIN))
        self.assert_quiet()
        self.assert_drops(before, {'drop_no_flow': 3})

    def test_source_mismatch(self):
        """A stream pinned to address:port takes nothing from another port or
        address; one pinned to an address takes any port of it but nothing
        from another address. Counted drop_source_mismatch and other_fail."""
        before, st0 = self.drops(), self.gw.streams()
        other_port = self._sock(PEER4)
        other_addr = self._sock(PEER4B)
        for s in (other_port, other_addr, other_port, other_addr):
            _, srtp = self.packet(PINNED)
            s.sendto(srtp, (GW4, self.listen[PINNED]))
        for _ in range(2):
            _, srtp = self.packet(PINNED_ADDR)
            other_addr.sendto(srtp, (GW4, self.listen[PINNED_ADDR]))
        self.sentinel(PINNED, self.via_cam(PINNED))
        # the address-pinned stream takes any port of its address
        self.sentinel(PINNED_ADDR, lambda srtp: other_port.sendto(srtp, (GW4, self.listen[PINNED_ADDR])))
        self.assert_quiet()
        self.assert_drops(before, {'drop_source_mismatch': 6})
        self.assertEqual(self.stream_delta(st0, PINNED),
                         {'packets': 1, 'auth_fail': 0, 'replay_fail': 0, 'other_fail': 4})
        self.assertEqual(self.stream_delta(st0, PINNED_ADDR),
                         {'packets': 1, 'auth_fail': 0, 'replay_fail': 0, 'other_fail': 2})

    def test_stream_without_viewers(self):
        """Authenticated packets of a stream with no viewers: counted as
        accepted by the stream and dropped as drop_no_viewers."""
        n = 5
        before, st0 = self.drops(), self.gw.streams()
        for _ in range(n):
            _, srtp = self.packet(LONELY)
            self.via_cam(LONELY)(srtp)
        self.assert_drops(before, {'drop_no_viewers': n})
        wait_for(lambda: self.stream_delta(st0, LONELY)['packets'] == n, what='stream packets')
        self.assertEqual(self.stream_delta(st0, LONELY),
                         {'packets': n, 'auth_fail': 0, 'replay_fail': 0, 'other_fail': 0})
        self.assert_quiet()


if __name__ == '__main__':
    unittest.main(verbosity=2)
