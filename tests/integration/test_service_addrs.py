"""Service addresses added and removed at run time (ADDR_ADD, ADDR_DEL).

The real srtpgw on a net_af_packet port over a veth; the namespace at the
other end is the LAN: a packet socket there sees every frame the gateway
sends (parsed with scapy), and its kernel asks and answers as a camera's
host would.

- After ADDR_ADD the address is announced on the wire exactly 3 times,
  about 150 ms apart: gratuitous ARP (request, sender IP = target IP = the
  address, the port's MAC, broadcast) and unsolicited NA (to ff02::1 and
  33:33:00:00:00:01, O=1 S=0 R=0, target the address, TLLA the port's MAC).
- ARP and NS for it are answered (the namespace's kernel resolves and
  pings it); SRTP sent to a stream listening on it is forwarded, exactly.
- ADDR_DEL is refused while the stream listens on it; after the stream and
  the address go in one transaction, ARP and NS for it are no longer
  answered (drop_arp_other, drop_icmp_other) and packets to it count
  drop_ip_not_local.
"""
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (AgentError, GatewayCase, af_packet_port, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, recv_all, rtp, run, srtp_session,
                     wait_for)

GW4, GW6 = '10.84.0.1', 'fd84::1'
PEER4, PEER6 = '10.84.0.2', 'fd84::2'
SVC4, SVC6 = '10.84.0.50', 'fd84::50'     # the service addresses
SUITE = 'AES_CM_128_HMAC_SHA1_80'
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
ANNOUNCE_COUNT, ANNOUNCE_MS = 3, 150      # SGW_ADDR_ANNOUNCE_COUNT, _MS


class ServiceAddresses(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24', PEER6 + '/64']
    WORKERS = [[('lan', 0), ('lan', 1)]]

    @classmethod
    def port(cls):
        return af_packet_port(cls.iface, [GW4 + '/24', GW6 + '/64'], 2,
                              neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        cls.gw_mac = json.loads(run('ip', '-j', 'link', 'show', 'dev', cls.iface).stdout)[0]['address']
        # a gateway starts with its lease deadline passed: no deadline here
        # (SVC4 is leased), but in test_3
        r = cls.gw.agentctl('lease', '0')
        assert r.returncode == 0, r.stderr

    # ---- helpers ----------------------------------------------------------
    def capture(self):
        """A packet socket in the namespace: the frames that arrive on its
        end of the veth (what the gateway sends)."""
        with self.ns.inside():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.addCleanup(s.close)
        s.bind((self.nsif, ETH_P_ALL))
        return s

    @staticmethod
    def frames(sock, want, timeout):
        """Frames received on sock (not the namespace's own), each with its
        arrival time, until want(frame) matched or the timeout."""
        from scapy.all import Ether
        out, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            try:
                data, addr = sock.recvfrom(4096)
            except socket.timeout:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            f = Ether(data)
            out.append((time.monotonic(), f))
            if want(out):
                break
        return out

    @staticmethod
    def pending(sock):
        """Frames already queued on sock (not the namespace's own)."""
        from scapy.all import Ether
        out = []
        sock.setblocking(False)
        try:
            while True:
                data, addr = sock.recvfrom(4096)
                if addr[2] != PACKET_OUTGOING:
                    out.append(Ether(data))
        except BlockingIOError:
            pass
        return out

    @staticmethod
    def is_garp(f, ip):
        from scapy.all import ARP
        return ARP in f and f[ARP].op == 1 and f[ARP].psrc == ip and f[ARP].pdst == ip

    @staticmethod
    def is_una(f, ip):
        from scapy.all import ICMPv6ND_NA
        return ICMPv6ND_NA in f and f[ICMPv6ND_NA].tgt == ip

    def raw_sender(self):
        with self.ns.inside():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.addCleanup(s.close)
        s.bind((self.nsif, 0))
        return s

    def addrs(self):
        r = self.gw.agentctl('addrs')
        self.assertEqual(r.returncode, 0, r.stderr)
        return {a['address']: a for a in json.loads(r.stdout)}

    def add_addresses(self):
        self.gw.apply(['addr add %s port-idx=0 leased' % SVC4, 'addr add %s/128 port-idx=0' % SVC6])
        self.addCleanup(self.del_addresses)

    def del_addresses(self):
        have = self.addrs()
        ops = ['addr del %s' % a for a in (SVC4, SVC6) if a in have]
        if ops:
            self.gw.apply(ops)

    # ---- tests --------------------------------------------------------------
    def test_1_announced_exactly_three_times(self):
        from scapy.all import ARP, IPv6, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr
        cap = self.capture()
        c0 = self.gw.counters()
        self.add_addresses()
        ann = [(t, f) for t, f in self.frames(
            cap, lambda fs: sum(self.is_garp(f, SVC4) or self.is_una(f, SVC6) for _, f in fs)
            == 2 * ANNOUNCE_COUNT, timeout=10)
            if self.is_garp(f, SVC4) or self.is_una(f, SVC6)]
        # the agent has sent its last: nothing left to announce
        wait_for(lambda: all(a['announce_left'] == 0 for a in self.addrs().values()),
                 what='announcements done')
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('addr_announced'), 2 * ANNOUNCE_COUNT, d)
        late = [f for f in self.pending(cap) if self.is_garp(f, SVC4) or self.is_una(f, SVC6)]
        self.assertEqual(late, [])

        garps = [(t, f) for t, f in ann if self.is_garp(f, SVC4)]
        unas = [(t, f) for t, f in ann if self.is_una(f, SVC6)]
        self.assertEqual((len(garps), len(unas)), (ANNOUNCE_COUNT, ANNOUNCE_COUNT))
        for _, f in garps:
            self.assertEqual(f.dst, 'ff:ff:ff:ff:ff:ff')
            self.assertEqual(f.src, self.gw_mac)
            a = f[ARP]
            self.assertEqual((a.hwtype, a.ptype, a.hwlen, a.plen, a.op), (1, 0x0800, 6, 4, 1))
            self.assertEqual((a.hwsrc, a.psrc, a.pdst), (self.gw_mac, SVC4, SVC4))
            self.assertEqual(a.hwdst, '00:00:00:00:00:00')
        for _, f in unas:
            self.assertEqual(f.dst, '33:33:00:00:00:01')
            self.assertEqual(f.src, self.gw_mac)
            self.assertEqual((f[IPv6].src, f[IPv6].dst, f[IPv6].hlim), (SVC6, 'ff02::1', 255))
            na = f[ICMPv6ND_NA]
            self.assertEqual((na.R, na.S, na.O, na.tgt), (0, 0, 1, SVC6))
            self.assertIn(ICMPv6NDOptDstLLAddr, f)
            self.assertEqual(f[ICMPv6NDOptDstLLAddr].lladdr, self.gw_mac)
            # the checksum is right: scapy computes it again when rebuilt
            raw = bytes(f[ICMPv6ND_NA])
            na2 = f[ICMPv6ND_NA].copy()
            del na2.cksum
            self.assertEqual(bytes(IPv6(src=SVC6, dst='ff02::1', hlim=255) / na2)[40:], raw)
        # spaced by the agent's timer, not sent back to back
        for frames in (garps, unas):
            gaps = [b[0] - a[0] for a, b in zip(frames, frames[1:])]
            self.assertTrue(all(g >= 0.1 for g in gaps), gaps)

        listed = self.addrs()
        self.assertEqual((listed[SVC4]['origin'], listed[SVC4]['prefix_len'], listed[SVC4]['port'],
                          listed[SVC4]['port_idx'], listed[SVC4]['leased']),
                         ('service', 32, 'lan', 0, True))
        self.assertEqual((listed[SVC6]['origin'], listed[SVC6]['prefix_len'], listed[SVC6]['leased']),
                         ('service', 128, False))
        self.assertEqual((listed[GW4]['origin'], listed[GW4]['prefix_len'], listed[GW4]['index']),
                         ('config', 24, 0))

    def test_3_leased_address_held_until_the_deadline(self):
        from scapy.all import ARP, Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr
        self.add_addresses()
        self.addCleanup(self.gw.agentctl, 'lease', '0')
        raw = self.raw_sender()

        def ask():
            """ARP for the leased SVC4 and NS for the unleased SVC6: the
            counters they moved, once both were handled."""
            c0 = self.gw.counters()
            raw.send(bytes(Ether(src=self.ns_mac, dst='ff:ff:ff:ff:ff:ff') /
                           ARP(op=1, hwsrc=self.ns_mac, psrc=PEER4, pdst=SVC4)))
            raw.send(bytes(Ether(src=self.ns_mac, dst='33:33:ff:00:00:50') /
                           IPv6(src=PEER6, dst='ff02::1:ff00:50', hlim=255) /
                           ICMPv6ND_NS(tgt=SVC6) / ICMPv6NDOptSrcLLAddr(lladdr=self.ns_mac)))

            def handled():
                d = counter_deltas(c0, self.gw.counters())
                return (d.get('arp_replied', 0) + d.get('drop_arp_other', 0) >= 1 and
                        d.get('nd_replied', 0) >= 1) and d
            d = wait_for(handled, what='the ARP request and the NS handled')
            return d.get('arp_replied', 0), d.get('drop_arp_other', 0), d.get('nd_replied', 0)

        self.assertEqual(ask(), (1, 0, 1))  # no deadline: held
        self.gw.agentctl('lease', '100')
        wait_for(lambda: self.gw.status()['lease'] == 'expired', what='the lease deadline to pass')
        self.assertEqual(ask(), (0, 1, 1))  # past it: the leased one is not ours
        self.gw.agentctl('lease', '60000')
        self.assertEqual(ask(), (1, 0, 1))  # a new deadline: held again

    def test_2_answered_and_forwarded_then_gone(self):
        from scapy.all import ARP, Ether, IPv6, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, IP, UDP
        self.add_addresses()
        # the namespace's kernel resolves both and pings them
        self.ns.run('ip', 'neigh', 'flush', 'dev', self.nsif)
        self.ns.run('ip', '-6', 'neigh', 'flush', 'dev', self.nsif)
        c0 = self.gw.counters()
        r = self.ns.run('ping', '-c', '2', '-i', '0.2', '-W', '5', '-I', PEER4, SVC4, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.ns.run('ping', '-6', '-c', '2', '-i', '0.2', '-W', '5', '-I', PEER6, SVC6, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual((d.get('icmp_echo_replied'), d.get('icmp6_echo_replied')), (2, 2), d)
        self.assertGreaterEqual(d.get('arp_replied', 0), 1)
        self.assertGreaterEqual(d.get('nd_replied', 0), 1)
        neigh = json.loads(self.ns.run('ip', '-j', 'neigh', 'show', SVC4, 'dev', self.nsif).stdout)
        self.assertEqual(neigh[0]['lladdr'], self.gw_mac)

        # a stream on the service address: SRTP to it is forwarded, from it
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        view = self.sock(PEER4)
        cam = self.sock(PEER4)
        self.gw.apply(['stream add 1 owner=1 listen=%s:30000 suite=%s key=%s' % (SVC4, SUITE, b64(k_in)),
                       'viewer add 10 stream=1 owner=1 to=%s:%d suite=%s key=%s' %
                       (PEER4, view.getsockname()[1], SUITE, b64(k_out))])
        self.addCleanup(lambda: 1 in self.gw.streams() and self.gw.apply(['stream del 1']))
        tx = srtp_session(SUITE, k_in, outbound=True)
        rx = srtp_session(SUITE, k_out, outbound=False)
        c0 = self.gw.counters()
        sent = [rtp(seq, ts=seq * 90, payload=marked_payload(1, seq)) for seq in range(100, 120)]
        for p in sent:
            cam.sendto(tx.protect(p), (SVC4, 30000))
        got = recv_all(view, len(sent))
        self.assertEqual([rx.unprotect(data) for data, _ in got], sent)
        self.assertEqual({addr for _, addr in got}, {(SVC4, 30000)})
        assert_nothing_queued(view)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('forwarded'), 20, d)
        self.assertEqual((self.gw.streams()[1]['packets'], self.gw.viewers()[10]['packets']), (20, 20))

        # the address cannot go while the stream listens on it
        with self.assertRaises(AgentError) as e:
            self.gw.apply(['addr del %s' % SVC4])
        self.assertIn('stream 1 listens on it', str(e.exception))
        self.assertIn(SVC4, self.addrs())
        # the stream, then its addresses, in one transaction
        self.gw.apply(['stream del 1', 'addr del %s' % SVC4, 'addr del %s' % SVC6])
        self.assertNotIn(SVC4, self.addrs())
        self.assertNotIn(SVC6, self.addrs())

        # ARP and NS for them: not answered, counted as not ours
        cap = self.capture()
        raw = self.raw_sender()
        c0 = self.gw.counters()
        raw.send(bytes(Ether(src=self.ns_mac, dst='ff:ff:ff:ff:ff:ff') /
                       ARP(op=1, hwsrc=self.ns_mac, psrc='10.84.0.77', pdst=SVC4)))
        raw.send(bytes(Ether(src=self.ns_mac, dst='33:33:ff:00:00:50') /
                       IPv6(src=PEER6, dst='ff02::1:ff00:50', hlim=255) /
                       ICMPv6ND_NS(tgt=SVC6) / ICMPv6NDOptSrcLLAddr(lladdr=self.ns_mac)))
        wait_for(lambda: counter_deltas(c0, self.gw.counters()).get('drop_icmp_other', 0) >= 1 and
                 counter_deltas(c0, self.gw.counters()).get('drop_arp_other', 0) >= 1,
                 what='ARP and NS dropped')
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual((d.get('drop_arp_other'), d.get('drop_icmp_other')), (1, 1), d)
        self.assertEqual((d.get('arp_replied', 0), d.get('nd_replied', 0)), (0, 0), d)
        self.assertEqual([f for f in self.pending(cap) if f.src == self.gw_mac], [])

        # packets to it (the camera still has the old MAC): not local
        c0 = self.gw.counters()
        for i in range(5):
            raw.send(bytes(Ether(src=self.ns_mac, dst=self.gw_mac) / IP(src=PEER4, dst=SVC4) /
                           UDP(sport=4000, dport=30000) / (b'\x80' + bytes(40))))
        wait_for(lambda: counter_deltas(c0, self.gw.counters()).get('drop_ip_not_local', 0) >= 5,
                 what='drop_ip_not_local')
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('drop_ip_not_local'), 5, d)
        self.assertEqual(d.get('forwarded', 0), 0, d)


if __name__ == '__main__':
    unittest.main(verbosity=2)
