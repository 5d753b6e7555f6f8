"""DESIGN invariant 1 (isolation): a packet of stream S reaches viewer V only
if V's owner is S's owner or holds a grant on S, in the version that packet
is processed under; the owner check is repeated per packet.

The real srtpgw on a net_pcap port over a veth; SRTP from pylibsrtp; every
viewer decrypts with its own key.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (AgentError, GatewayCase, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, pcap_port, recv_all, rtp,
                     srtp_session, wait_for)

GW4, PEER4 = '10.80.0.1', '10.80.0.2'
IN, OUT = 'AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_256_GCM'
NOISE = {'drop_icmp_other', 'drop_arp_other'}


class Ownership(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    PIN_GATEWAY = True  # the first packets' order is checked

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    # ---- helpers ----------------------------------------------------------
    def add_stream(self, sid, owner, port):
        k = new_key(IN)
        self.gw.apply(['stream add %d owner=%d listen=%s:%d suite=%s key=%s' % (sid, owner, GW4, port, IN, b64(k))])
        return {'id': sid, 'port': port, 'tx': srtp_session(IN, k, outbound=True), 'cam': self.sock(), 'seq': 1}

    def viewer_line(self, vid, sid, owner):
        """(op line, viewer record with its socket and receive session)."""
        k = new_key(OUT)
        s = self.sock()
        line = 'viewer add %d stream=%d owner=%d to=%s:%d suite=%s key=%s' % (
            vid, sid, owner, PEER4, s.getsockname()[1], OUT, b64(k))
        return line, {'id': vid, 'sock': s, 'rx': srtp_session(OUT, k, outbound=False)}

    def add_viewer(self, vid, sid, owner):
        line, v = self.viewer_line(vid, sid, owner)
        self.gw.apply([line])
        return v

    def send(self, st, n):
        """n packets of stream st from its camera; returns the plain RTP."""
        sent = []
        for _ in range(n):
            p = rtp(st['seq'], ts=st['seq'] * 3000, payload=marked_payload(st['id'], st['seq']))
            st['seq'] += 1
            st['cam'].sendto(st['tx'].protect(p), (GW4, st['port']))
            sent.append(p)
        return sent

    def assert_receives(self, v, sent):
        got = recv_all(v['sock'], len(sent))
        self.assertEqual([v['rx'].unprotect(d) for d, _ in got], sent, 'viewer %d' % v['id'])

    def drops(self):
        return {k: v for k, v in self.gw.counters().items() if k.startswith('drop_') and k not in NOISE}

    def assert_drops(self, before, expect):
        def reached():
            d = counter_deltas(before, self.drops())
            return [d] if all(d.get(k, 0) >= v for k, v in expect.items()) else None
        self.assertEqual(wait_for(reached, what='drop counters %r' % expect)[0], expect)

    def assert_refused(self, line):
        v0 = self.gw.status()
        r = self.gw.agentctl('apply', input=line + '\n')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
        self.assertIn('Operation not permitted', r.stderr)
        self.assertIn('may not receive stream', r.stderr)
        self.assertEqual(self.gw.status(), v0)
        return r.stderr

    # ---- tests -------------------------------------------------------------
    def test_viewer_of_another_owner_needs_a_grant(self):
        s = self.add_stream(10, owner=1, port=23000)
        own = self.add_viewer(101, 10, owner=1)
        line, foreign = self.viewer_line(201, 10, owner=2)

        # no grant: refused, nothing changed
        err = self.assert_refused(line)
        self.assertIn('owner 2', err)
        self.assertNotIn(201, self.gw.viewers())
        # a grant to another owner does not help owner 2
        self.gw.apply(['grant add 10 owner=3'])
        self.assert_refused(line)

        # granted: accepted, and it receives what the owner's viewer receives
        self.gw.apply(['grant add 10 owner=2'])
        self.gw.apply([line])
        sent = self.send(s, 10)
        self.assert_receives(own, sent)
        self.assert_receives(foreign, sent)
        vs = self.gw.viewers()
        self.assertEqual((vs[201]['owner'], vs[201]['packets'], vs[201]['drops']), (2, 10, 0))

        # grant revoked, viewer left attached (the last viewer of the entry)
        before, vs0 = self.drops(), self.gw.viewers()
        self.gw.apply(['grant del 10 owner=2'])
        sent = self.send(s, 12)
        self.assert_receives(own, sent)
        assert_nothing_queued(foreign['sock'])
        self.assert_drops(before, {'drop_owner_mismatch': 12})
        vs = self.gw.viewers()
        self.assertEqual((vs[201]['packets'] - vs0[201]['packets'], vs[201]['drops'] - vs0[201]['drops']), (0, 12))
        self.assertEqual((vs[101]['packets'] - vs0[101]['packets'], vs[101]['drops'] - vs0[101]['drops']), (12, 0))

        # another viewer of the owner behind it: the revoked one is now in
        # the middle of the entry (a copy, not the original mbuf)
        own2 = self.add_viewer(102, 10, owner=1)
        before = self.drops()
        sent = self.send(s, 7)
        self.assert_receives(own, sent)
        self.assert_receives(own2, sent)
        assert_nothing_queued(foreign['sock'])
        self.assert_drops(before, {'drop_owner_mismatch': 7})
        # still no new viewer for owner 2
        self.assert_refused(self.viewer_line(202, 10, owner=2)[0])

        # granted again: the attached viewer receives again, with its session
        self.gw.apply(['grant add 10 owner=2'])
        before = self.drops()
        sent = self.send(s, 5)
        for v in (own, own2, foreign):
            self.assert_receives(v, sent)
            assert_nothing_queued(v['sock'])
        self.assert_drops(before, {})
        st = self.gw.streams()[10]
        self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail'], st['other_fail']), (34, 0, 0, 0))
        self.gw.apply(['stream del 10'])

    def test_grant_limits(self):
        """A grant for the owner itself or twice is refused; the eighth
        grant too (SGW_MAX_GRANTS = 7); deleting a grant that does not
        exist is refused. Nothing changes."""
        self.add_stream(11, owner=1, port=23010)
        self.gw.apply(['grant add 11 owner=%d' % o for o in range(2, 9)])
        for line, text in (('grant add 11 owner=1', 'may already receive'),
                           ('grant add 11 owner=5', 'may already receive'),
                           ('grant add 11 owner=9', 'the most it can have'),
                           ('grant del 11 owner=9', 'has no grant')):
            v0 = self.gw.status()
            with self.assertRaises(AgentError) as cm:
                self.gw.apply([line])
            self.assertIn(text, str(cm.exception))
            self.assertEqual(self.gw.status(), v0)
        # all seven grantees may add a viewer, in one transaction
        lines = [self.viewer_line(1100 + o, 11, owner=o)[0] for o in range(1, 9)]
        self.gw.apply(lines)
        self.assertEqual({v['owner'] for v in self.gw.viewers().values() if v['stream'] == 11}, set(range(1, 9)))
        self.gw.apply(['stream del 11'])

    def test_deleted_stream_reaches_no_one(self):
        s = self.add_stream(20, owner=5, port=23020)
        sentinel = self.add_stream(21, owner=5, port=23022)
        sentinel['cam'] = s['cam']  # the same socket sends both streams
        self.gw.apply(['grant add 20 owner=6'])
        v_own = self.add_viewer(2001, 20, owner=5)
        v_granted = self.add_viewer(2002, 20, owner=6)
        v_sentinel = self.add_viewer(2101, 21, owner=5)
        sent = self.send(s, 5)
        self.assert_receives(v_own, sent)
        self.assert_receives(v_granted, sent)

        st0 = self.gw.status()
        before = self.drops()
        self.gw.apply(['stream del 20'])
        st = self.gw.status()
        self.assertEqual((st['streams'], st['viewers']), (st0['streams'] - 1, st0['viewers'] - 2))
        self.assertNotIn(20, self.gw.streams())
        self.assertFalse({2001, 2002} & set(self.gw.viewers()))
        self.send(s, 9)
        self.assert_receives(v_sentinel, self.send(sentinel, 1))
        for v in (v_own, v_granted, v_sentinel):
            assert_nothing_queued(v['sock'])
        self.assert_drops(before, {'drop_no_flow': 9})

        # the port taken by another owner's stream with a new key: the old
        # key's packets fail, the new ones reach only the new owner's viewer
        new = self.add_stream(22, owner=7, port=23020)
        new['cam'] = s['cam']
        v_new = self.add_viewer(2201, 22, owner=7)
        before = self.drops()
        self.send(s, 4)
        sent = self.send(new, 6)
        self.assert_receives(v_new, sent)
        for v in (v_own, v_granted, v_sentinel, v_new):
            assert_nothing_queued(v['sock'])
        self.assert_drops(before, {'drop_srtp_auth': 4})
        st = self.gw.streams()[22]
        self.assertEqual((st['owner'], st['packets'], st['auth_fail']), (7, 6, 4))
        self.gw.apply(['stream del 21', 'stream del 22'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
