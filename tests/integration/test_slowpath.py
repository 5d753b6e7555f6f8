"""The slow path on the agent thread: ARP, ICMP echo, ICMPv6 echo and
neighbour discovery for the gateway's own addresses, and the resolution of
viewers' next hops (ARP, ND, static neighbours, a configured gateway4 and
gateway6 for off-link destinations).

The real srtpgw on a net_pcap port over a veth; the namespace is the
Linux kernel answering and asking as any host would.
"""
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, assert_nothing_queued, b64, counter_deltas,  # noqa: E402
                     marked_payload, new_key, pcap_port, recv_all, rtp, srtp_session,
                     wait_for)

GW4, GW6 = '10.83.0.1', 'fd83::1'
PEER4, PEER6 = '10.83.0.2', 'fd83::2'       # pings
DYN4, DYN6 = '10.83.0.3', 'fd83::3'         # viewers resolved by ARP / ND
STATIC4, STATIC6 = '10.83.0.4', 'fd83::4'   # viewers behind static neighbours
LATE4 = '10.83.0.6'                         # a viewer that is not there at first
ROUTER4, ROUTER6 = '10.83.0.254', 'fd83::fe'  # gateway4 / gateway6 of the port
FAR4, FAR6 = '10.99.83.5', 'fd99:83::5'     # off-link viewers (on the namespace's lo)
SUITE = 'AES_CM_128_HMAC_SHA1_80'
ETH_P_ARP = 0x0806
IP_FREEBIND = 15


class SlowPath(GatewayCase):
    PEER_ADDRS = [a + '/24' for a in (PEER4, DYN4, STATIC4, ROUTER4)] + [
        a + '/64' for a in (PEER6, DYN6, STATIC6, ROUTER6)]
    next_id = 1

    @classmethod
    def prepare(cls):
        # the off-link viewers: local to the namespace, but not on its
        # link; ARP is answered only for the veth's own addresses, so
        # only the router address resolves
        cls.ns.run('ip', 'addr', 'add', FAR4 + '/32', 'dev', 'lo')
        cls.ns.run('ip', 'addr', 'add', FAR6 + '/128', 'dev', 'lo', 'nodad')
        cls.ns.run('sysctl', '-qw', 'net.ipv4.conf.%s.arp_ignore=1' % cls.nsif)

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24', GW6 + '/64'], gateway4=ROUTER4, gateway6=ROUTER6,
                         neighbours=[(STATIC4, cls.ns_mac), (STATIC6, cls.ns_mac)])

    # ---- helpers ----------------------------------------------------------
    def flow(self, dest, family=socket.AF_INET):
        """A stream (SRTP in) with one viewer at dest; returns (send(n) ->
        plain packets, viewer socket, receive session, viewer id)."""
        sid = SlowPath.next_id
        SlowPath.next_id += 1
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        view = self.ns.socket(family)
        self.addCleanup(view.close)
        view.setsockopt(socket.SOL_IP, IP_FREEBIND, 1)  # dest may not be configured yet
        view.bind((dest, 0))
        cam = self.ns.socket()
        self.addCleanup(cam.close)
        cam.bind((PEER4, 0))
        port = 26000 + 2 * sid
        to = ('[%s]' % dest if family == socket.AF_INET6 else dest) + ':%d' % view.getsockname()[1]
        self.gw.apply(['stream add %d owner=1 listen=%s:%d suite=%s key=%s' % (sid, GW4, port, SUITE, b64(k_in)),
                       'viewer add %d stream=%d owner=1 to=%s suite=%s key=%s' % (sid, sid, to, SUITE, b64(k_out))])
        self.addCleanup(self.gw.apply, ['stream del %d' % sid])
        tx = srtp_session(SUITE, k_in, outbound=True)
        seq = [1]

        def send(n):
            sent = []
            for _ in range(n):
                p = rtp(seq[0], payload=marked_payload(sid, seq[0]))
                seq[0] += 1
                cam.sendto(tx.protect(p), (GW4, port))
                sent.append(p)
            return sent
        return send, view, srtp_session(SUITE, k_out, outbound=False), sid

    def assert_receives(self, view, rx, sent):
        got = recv_all(view, len(sent))
        self.assertEqual([rx.unprotect(d) for d, _ in got], sent)
        self.assertEqual({a[0] for _, a in got}, {GW6 if view.family == socket.AF_INET6 else GW4})

    def wait_counter(self, c0, name, at_least=1):
        return wait_for(lambda: counter_deltas(c0, self.gw.counters()).get(name, 0) >= at_least,
                        what=name)

    def arp_capture(self):
        """A packet socket in the namespace that sees the ARP frames arriving
        on its end of the veth."""
        with self.ns.inside():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ARP))
        self.addCleanup(s.close)
        s.bind((self.nsif, ETH_P_ARP))
        return s

    @staticmethod
    def arp_requests(sock, block):
        """ARP requests read from sock: [(sender ip, target ip)]."""
        out = []
        sock.settimeout(5 if block else 0)
        try:
            while True:
                f = sock.recv(2048)
                op = struct.unpack('!H', f[20:22])[0]
                if op == 1:
                    out.append((socket.inet_ntoa(f[28:32]), socket.inet_ntoa(f[38:42])))
                    if block:
                        break
        except (socket.timeout, BlockingIOError):
            if block and not out:
                raise AssertionError('no ARP request from the gateway')
        return out

    # ---- the gateway's own addresses ---------------------------------------
    def test_ping_ipv4(self):
        self.ns.run('ip', 'neigh', 'flush', 'dev', self.nsif)
        c0 = self.gw.counters()
        r = self.ns.run('ping', '-c', '3', '-i', '0.2', '-W', '5', '-I', PEER4, GW4, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('3 received', r.stdout)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('icmp_echo_replied'), 3)
        self.assertGreaterEqual(d.get('arp_replied', 0), 1)
        self.assertEqual(d.get('drop_icmp_other', 0) + d.get('drop_arp_other', 0) +
                         d.get('drop_slowpath_full', 0) + d.get('drop_tx_full', 0), 0, d)

    def test_ping_ipv6(self):
        self.ns.run('ip', '-6', 'neigh', 'flush', 'dev', self.nsif)
        c0 = self.gw.counters()
        r = self.ns.run('ping', '-6', '-c', '3', '-i', '0.2', '-W', '5', '-I', PEER6, GW6, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('3 received', r.stdout)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('icmp6_echo_replied'), 3)
        self.assertGreaterEqual(d.get('nd_replied', 0), 1)
        self.assertEqual(d.get('drop_slowpath_full', 0) + d.get('drop_tx_full', 0), 0, d)

    # ---- next hops ------------------------------------------------------------
    def test_viewer_resolved_by_arp(self):
        c0 = self.gw.counters()
        send, view, rx, vid = self.flow(DYN4)
        self.wait_counter(c0, 'arp_learned')
        sent = send(10)
        self.assert_receives(view, rx, sent)
        assert_nothing_queued(view)
        d = counter_deltas(c0, self.gw.counters())
        self.assertGreaterEqual(d.get('arp_sent', 0), 1)
        self.assertEqual(d.get('drop_neigh_unresolved', 0), 0)
        self.assertEqual((self.gw.viewers()[vid]['packets'], self.gw.viewers()[vid]['drops']), (10, 0))

    def test_viewer_resolved_by_nd(self):
        c0 = self.gw.counters()
        send, view, rx, vid = self.flow(DYN6, socket.AF_INET6)
        self.wait_counter(c0, 'nd_learned')
        sent = send(10)
        self.assert_receives(view, rx, sent)
        assert_nothing_queued(view)
        d = counter_deltas(c0, self.gw.counters())
        self.assertGreaterEqual(d.get('nd_sent', 0), 1)
        self.assertEqual(d.get('drop_neigh_unresolved', 0), 0)
        self.assertEqual((self.gw.viewers()[vid]['packets'], self.gw.viewers()[vid]['drops']), (10, 0))

    def test_packets_before_resolution(self):
        """A viewer whose next hop does not answer: every packet for it is
        dropped as drop_neigh_unresolved, none goes out to a wrong MAC; the
        gateway keeps probing, and once the host is there the packets that
        follow reach it."""
        c0 = self.gw.counters()
        send, view, rx, vid = self.flow(LATE4)
        send(10)
        wait_for(lambda: counter_deltas(c0, self.gw.counters()).get('drop_neigh_unresolved', 0) >= 10,
                 what='drop_neigh_unresolved')
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d['drop_neigh_unresolved'], 10)
        self.assertGreaterEqual(d.get('arp_sent', 0), 1)
        self.assertEqual(d.get('arp_learned', 0), 0)
        self.assertEqual((self.gw.viewers()[vid]['packets'], self.gw.viewers()[vid]['drops']), (0, 10))
        self.assertEqual(self.gw.streams()[vid]['packets'], 10)

        self.ns.run('ip', 'addr', 'add', LATE4 + '/24', 'dev', self.nsif)
        self.wait_counter(c0, 'arp_learned')  # the next probe, within a second
        sent = send(5)
        self.assert_receives(view, rx, sent)
        assert_nothing_queued(view)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d['drop_neigh_unresolved'], 10)
        self.assertEqual((self.gw.viewers()[vid]['packets'], self.gw.viewers()[vid]['drops']), (5, 10))

    def test_static_neighbours(self):
        """Static neighbours are resolved from the start: no ARP/ND, the
        first packet goes out."""
        c0 = self.gw.counters()
        send4, view4, rx4, _ = self.flow(STATIC4)
        send6, view6, rx6, _ = self.flow(STATIC6, socket.AF_INET6)
        self.assert_receives(view4, rx4, send4(5))
        self.assert_receives(view6, rx6, send6(5))
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('drop_neigh_unresolved', 0), 0)
        self.assertEqual((d.get('arp_sent', 0), d.get('nd_sent', 0)), (0, 0))

    def test_off_link_viewer_via_gateway4(self):
        arp = self.arp_capture()
        c0 = self.gw.counters()
        send, view, rx, _ = self.flow(FAR4)
        # the gateway asks for the router, not for the viewer
        self.assertEqual(self.arp_requests(arp, block=True), [(GW4, ROUTER4)])
        self.wait_counter(c0, 'arp_learned')
        sent = send(10)
        self.assert_receives(view, rx, sent)
        assert_nothing_queued(view)
        self.assertNotIn(FAR4, [t for _, t in self.arp_requests(arp, block=False)])
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('drop_neigh_unresolved', 0), 0)

    def test_off_link_viewer_via_gateway6(self):
        c0 = self.gw.counters()
        send, view, rx, _ = self.flow(FAR6, socket.AF_INET6)
        self.wait_counter(c0, 'nd_learned')
        sent = send(10)
        self.assert_receives(view, rx, sent)
        assert_nothing_queued(view)
        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d.get('drop_neigh_unresolved', 0), 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
