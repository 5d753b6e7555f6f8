"""The slow path's limits (docs/security.md, "Limits"; docs/architecture.md,
"Next hops"):

- a host on the LAN that floods the gateway with ARP requests and ICMP
  echo requests, as fast as it can, does not keep the agent socket from
  being served: the agent thread takes at most a batch of slow-path frames
  per turn, and what the ring cannot hold is dropped and counted;
- a next hop's MAC is learned from the answer to the gateway's own probe:
  an unsolicited ARP reply or neighbour advertisement, or a gratuitous ARP,
  claiming a viewer's next hop does not change where the viewer's packets
  go (and is counted), unless the port is trusted for learning
  (learn_unsolicited), and even then not from another VLAN.

The real srtpgw on vdev ports over a veth; the namespace is the Linux
kernel answering probes, and raw AF_PACKET sockets are the flooder and
the liar.
"""
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import agentproto as ap  # noqa: E402
from sgwtest import (GatewayCase, af_packet_port, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, pcap_port, recv_all, rtp, run,
                     srtp_session, wait_for)

LANFLOOD = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'lanflood.py')
SUITE = 'AES_CM_128_HMAC_SHA1_80'
EVIL = '02:66:66:66:66:66'
N_TXN = 50


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(':'))


def link_mac(ifname):
    """The MAC of an interface of the root namespace (a gateway port's veth:
    net_af_packet and net_pcap send with it)."""
    return json.loads(run('ip', '-j', 'link', 'show', 'dev', ifname).stdout)[0]['address']


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def arp(op, dst_mac, sender_mac, sender_ip, target_ip, vlan=None):
    """An ARP frame whose Ethernet source is the sender's MAC."""
    tag = struct.pack('!HH', 0x8100, vlan) if vlan is not None else b''
    return (mac_bytes(dst_mac) + mac_bytes(sender_mac) + tag + b'\x08\x06' +
            struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + mac_bytes(sender_mac) +
            socket.inet_aton(sender_ip) + (bytes(6) if op == 1 else b'\xff' * 6) +
            socket.inet_aton(target_ip))


def neighbour_advertisement(dst_mac, src_mac, src_ip, dst_ip, target_ip, target_mac):
    """An unsolicited, overriding neighbour advertisement (RFC 4861 4.4)
    with a target link-layer address option."""
    body = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + socket.inet_pton(socket.AF_INET6, target_ip) + \
        struct.pack('!BB', 2, 1) + mac_bytes(target_mac)
    src, dst = socket.inet_pton(socket.AF_INET6, src_ip), socket.inet_pton(socket.AF_INET6, dst_ip)
    pseudo = src + dst + struct.pack('!I3xB', len(body), 58)
    body = body[:2] + struct.pack('!H', csum(pseudo + body)) + body[4:]
    ip6 = struct.pack('!IHBB', 6 << 28, len(body), 58, 255) + src + dst
    return mac_bytes(dst_mac) + mac_bytes(src_mac) + b'\x86\xdd' + ip6 + body


class NeighbourCase(GatewayCase):
    """A gateway address on a net_pcap port; viewers in the namespace
    resolved by ARP/ND."""
    GW4, GW6 = '10.86.0.1', 'fd86::1'
    PEER4, PEER6 = '10.86.0.2', 'fd86::2'      # the camera, pings
    DYN4, DYN6 = '10.86.0.3', 'fd86::3'        # viewers resolved by ARP / ND
    next_id = 1

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [cls.GW4 + '/24', cls.GW6 + '/64'])

    @classmethod
    def ready(cls):
        cls.gw_mac = link_mac(cls.iface)
        # the namespace knows the gateway's MAC before a camera sends a
        # burst: Linux may send what it queued while resolving out of order
        cls.ns.run('ping', '-c', '1', '-W', '5', '-I', cls.PEER4, cls.GW4)

    def raw(self):
        """A packet socket on the namespace's end of the veth: sends any
        frame, receives every frame on the link."""
        with self.ns.inside():
            s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))  # ETH_P_ALL
        self.addCleanup(s.close)
        s.bind((self.nsif, 0))
        return s

    def flow(self, dest, family=socket.AF_INET):
        """A stream (SRTP in) with one viewer at dest; returns (send(n) ->
        plain packets, viewer socket, receive session)."""
        sid = NeighbourCase.next_id
        NeighbourCase.next_id += 1
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        view = self.ns.socket(family)
        self.addCleanup(view.close)
        view.bind((dest, 0))
        cam = self.ns.socket()
        self.addCleanup(cam.close)
        cam.bind((self.PEER4, 0))
        port = 27000 + 2 * sid
        to = ('[%s]' % dest if family == socket.AF_INET6 else dest) + ':%d' % view.getsockname()[1]
        self.gw.apply(['stream add %d owner=1 listen=%s:%d suite=%s key=%s' % (sid, self.GW4, port, SUITE, b64(k_in)),
                       'viewer add %d stream=%d owner=1 to=%s suite=%s key=%s' % (sid, sid, to, SUITE, b64(k_out))])
        self.addCleanup(self.gw.apply, ['stream del %d' % sid])
        tx = srtp_session(SUITE, k_in, outbound=True)
        seq = [1]

        def send(n):
            sent = []
            for _ in range(n):
                p = rtp(seq[0], payload=marked_payload(sid, seq[0]))
                seq[0] += 1
                cam.sendto(tx.protect(p), (self.GW4, port))
                sent.append(p)
            return sent
        return send, view, srtp_session(SUITE, k_out, outbound=False)

    def assert_receives(self, view, rx, sent):
        got = recv_all(view, len(sent))
        self.assertEqual([rx.unprotect(d) for d, _ in got], sent)
        assert_nothing_queued(view)

    def wait_learned(self, c0, name):
        wait_for(lambda: counter_deltas(c0, self.gw.counters()).get(name, 0) >= 1, what=name)

    def slow_path_done(self):
        """Everything queued to the slow path before now has been handled:
        a ping's answer comes through the same ring, behind it."""
        r = self.ns.run('ping', '-c', '1', '-W', '5', '-I', self.PEER4, self.GW4, check=False)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Neighbours(NeighbourCase):
    PEER_ADDRS = [a + '/24' for a in (NeighbourCase.PEER4, NeighbourCase.DYN4)] + [
        a + '/64' for a in (NeighbourCase.PEER6, NeighbourCase.DYN6)]

    def test_unsolicited_arp_does_not_move_a_viewer(self):
        c0 = self.gw.counters()
        send, view, rx = self.flow(self.DYN4)
        self.wait_learned(c0, 'arp_learned')  # the kernel's answer to the probe
        self.assert_receives(view, rx, send(5))

        c1 = self.gw.counters()
        liar = self.raw()
        # an unsolicited reply to the gateway, and a gratuitous ARP
        liar.send(arp(2, self.gw_mac, EVIL, self.DYN4, self.GW4))
        liar.send(arp(1, 'ff:ff:ff:ff:ff:ff', EVIL, self.DYN4, self.DYN4))
        self.slow_path_done()
        # the viewer's packets still go to the viewer's MAC
        self.assert_receives(view, rx, send(5))
        d = counter_deltas(c1, self.gw.counters())
        self.assertEqual(d.get('drop_neigh_unsolicited', 0), 2, d)
        self.assertEqual(d.get('arp_learned', 0), 0, d)

    def test_unsolicited_advertisement_does_not_move_a_viewer(self):
        c0 = self.gw.counters()
        send, view, rx = self.flow(self.DYN6, socket.AF_INET6)
        self.wait_learned(c0, 'nd_learned')
        self.assert_receives(view, rx, send(5))

        c1 = self.gw.counters()
        self.raw().send(neighbour_advertisement(self.gw_mac, EVIL, self.DYN6, self.GW6, self.DYN6, EVIL))
        self.slow_path_done()
        self.assert_receives(view, rx, send(5))
        d = counter_deltas(c1, self.gw.counters())
        self.assertEqual(d.get('drop_neigh_unsolicited', 0), 1, d)
        self.assertEqual(d.get('nd_learned', 0), 0, d)


class TrustedLan(NeighbourCase):
    """learn_unsolicited = true: the port's segment is trusted, so an
    unsolicited answer is learned, but not one from another VLAN."""
    PEER_ADDRS = [a + '/24' for a in (NeighbourCase.PEER4, NeighbourCase.DYN4)]

    @classmethod
    def port(cls):
        p = super().port()
        p['extra'] = 'learn_unsolicited = true'
        return p

    def test_unsolicited_answer_learned_on_a_trusted_port(self):
        c0 = self.gw.counters()
        send, view, rx = self.flow(self.DYN4)
        self.wait_learned(c0, 'arp_learned')
        self.assert_receives(view, rx, send(5))
        liar = self.raw()

        # from VLAN 7, the port being untagged: ignored
        c1 = self.gw.counters()
        liar.send(arp(2, self.gw_mac, EVIL, self.DYN4, self.GW4, vlan=7))
        self.slow_path_done()
        self.assert_receives(view, rx, send(5))
        d = counter_deltas(c1, self.gw.counters())
        self.assertEqual((d.get('drop_neigh_unsolicited', 0), d.get('arp_learned', 0)), (1, 0), d)

        # untagged: learned, the viewer's packets now go to that MAC
        liar.send(arp(2, self.gw_mac, EVIL, self.DYN4, self.GW4))
        self.slow_path_done()
        d = counter_deltas(c1, self.gw.counters())
        self.assertEqual(d.get('arp_learned', 0), 1, d)
        sent = send(3)
        liar.settimeout(5)
        to_evil = 0
        while to_evil < len(sent):
            f = liar.recv(2048)
            if f[:6] == mac_bytes(EVIL) and f[12:14] == b'\x08\x00' and f[23] == 17:
                to_evil += 1
        view.setblocking(False)
        with self.assertRaises(BlockingIOError):
            view.recv(2048)


class SlowPathFlood(GatewayCase):
    """One worker on a net_af_packet port; a host on the LAN floods."""
    GW4, PEER4 = '10.87.0.1', '10.87.0.2'
    PEER_ADDRS = [PEER4 + '/24']
    WORKERS = [[('lan', 0), ('lan', 1)]]

    @classmethod
    def port(cls):
        return af_packet_port(cls.iface, [cls.GW4 + '/24'], 2, neighbours=[(cls.PEER4, cls.ns_mac)])

    def test_transactions_served_during_a_flood(self):
        gw_mac = link_mac(self.iface)
        view = self.ns.socket()
        self.addCleanup(view.close)
        view.bind((self.PEER4, 0))
        k = new_key(SUITE)
        c0 = self.gw.counters()
        before = self.gw.workers_stats()
        agent0 = before[-1]
        flood = self.ns.popen('/usr/bin/python3', LANFLOOD, self.nsif, self.ns_mac, self.PEER4,
                              gw_mac, self.GW4, stdout=subprocess.PIPE, text=True)
        self.addCleanup(lambda: flood.poll() is None and (flood.kill(), flood.wait()))
        self.assertEqual(flood.stdout.readline().strip(), 'ready')
        # the flood reaches the agent thread before the first transaction
        wait_for(lambda: self.gw.workers_stats()[-1]['rx'] - agent0['rx'] >= 1000, 30,
                 'the flood to reach the agent thread')

        c = ap.AgentClient(self.gw.sock, timeout=60)
        self.addCleanup(c.close)
        v0 = c.hello()['version']
        ids = list(range(1, N_TXN + 1))
        for i in ids:
            r = c.transaction([
                ap.stream_add(i, 1, self.GW4, 28000 + 2 * i, SUITE, k),
                ap.viewer_add(100 + i, i, 1, self.PEER4, view.getsockname()[1], SUITE, k)])
            self.assertEqual(r.version, v0 + i)
        self.assertEqual(c.transaction([ap.stream_del(i) for i in ids]).version, v0 + N_TXN + 1)
        during = self.gw.workers_stats()[-1]['rx'] - agent0['rx']

        flood.send_signal(signal.SIGTERM)
        sent = int(flood.communicate(timeout=30)[0].strip())
        self.ns.run('ping', '-c', '1', '-W', '5', self.GW4)  # the ring has been worked off
        d = counter_deltas(c0, self.gw.counters())
        after = self.gw.workers_stats()
        handled = after[-1]['rx'] - agent0['rx']
        from_port = sum(w['rx'] for w in after[:-1]) - sum(w['rx'] for w in before[:-1])
        print('\nflood: %d frames sent, %d handled by the agent thread (%d while %d transactions '
              'were applied), %d dropped at the ring' % (sent, handled, during, N_TXN + 1,
                                                         d.get('drop_slowpath_full', 0)))
        # every flood frame the workers saw was handled or dropped at the ring,
        # every one handled was answered (the rest of the LAN is quiet)
        self.assertGreaterEqual(during, 1000)
        self.assertLessEqual(handled + d.get('drop_slowpath_full', 0), from_port)
        self.assertLessEqual(handled + d.get('drop_slowpath_full', 0), sent + 10)
        self.assertLessEqual(handled - d.get('arp_replied', 0) - d.get('icmp_echo_replied', 0), 10, d)
        self.assertEqual(self.gw.status()['streams'], 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
