"""A stream's home worker (docs/architecture.md, "How a stream stays on one
worker") is latched only by a packet that authenticated: forged SRTP
packets, or plain RTP from a source that is not the stream's, arriving at
one worker do not pin the stream there; the first packet that passes,
arriving at the other worker, makes that worker the home, and packets
arriving at the first are handed to it from then on.

Two workers on one net_af_packet port with three queues (as in
test_multiworker.py): the kernel's PACKET_FANOUT hashes each UDP flow to a
queue, so a source port steers a flow to a worker. Which source ports go
where is found first, with packets to the listen port before the stream
exists (each is dropped as drop_no_flow by the worker that got it).
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, af_packet_port, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, recv_all, rtp, srtp_session,
                     wait_for)

GW4, PEER4 = '10.88.0.1', '10.88.0.2'
SUITE = 'AES_CM_128_HMAC_SHA1_80'
NO_HOME = -1  # srtpgw-agentctl's "worker" before a home is latched


class HomeLatch(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    WORKERS = [[('lan', 0), ('lan', 2)], [('lan', 1)]]

    @classmethod
    def port(cls):
        return af_packet_port(cls.iface, [GW4 + '/24'], 3, neighbours=[(PEER4, cls.ns_mac)])

    def per_worker(self, name):
        return [w[name] for w in self.gw.workers_stats()[:-1]]

    def steer(self, listen_port):
        """Sockets whose packets to listen_port arrive at worker 0 and at
        worker 1 (no stream listens there yet)."""
        found = {}
        for _ in range(64):
            s = self.sock()
            before = self.per_worker('drop_no_flow')
            s.sendto(rtp(1), (GW4, listen_port))
            after = wait_for(lambda: (lambda a: sum(a) > sum(before) and a)(self.per_worker('drop_no_flow')),
                             what='the probe packet to be dropped')
            w = [i for i in range(2) if after[i] > before[i]]
            self.assertEqual(len(w), 1)
            found.setdefault(w[0], s)
            if len(found) == 2:
                return found[0], found[1]
        self.fail('no source port of 64 reached both workers')

    def viewer(self, sid, suite=SUITE):
        view = self.sock()
        k_out = new_key(suite) if suite != 'PLAIN' else None
        line = 'viewer add %d stream=%d owner=1 to=%s:%d' % (sid * 10, sid, PEER4, view.getsockname()[1])
        return view, k_out, line + (' suite=%s key=%s' % (suite, b64(k_out)) if k_out else ' plain')

    def test_forged_packets_do_not_choose_the_home(self):
        port = 31000
        sock = self.steer(port)
        k_in = new_key(SUITE)
        view, k_out, vline = self.viewer(1)
        self.gw.apply(['stream add 1 owner=1 listen=%s:%d suite=%s key=%s' % (GW4, port, SUITE, b64(k_in)),
                       vline])
        self.addCleanup(self.gw.apply, ['stream del 1'])
        tx, rx = srtp_session(SUITE, k_in, True), srtp_session(SUITE, k_out, False)
        first, other = 0, 1
        c0 = self.gw.workers_stats()

        # forged packets of the fresh stream at worker 0: dropped, no home
        for seq in range(1, 21):
            sock[first].sendto(rtp(seq, payload=os.urandom(100)), (GW4, port))
        wait_for(lambda: self.gw.streams()[1]['auth_fail'] == 20, what='20 authentication failures')
        st = self.gw.streams()[1]
        self.assertEqual((st['worker'], st['packets']), (NO_HOME, 0))

        # the first valid packet arrives at worker 1: worker 1 is the home
        plain = [rtp(100, payload=marked_payload(1, 100))]
        sock[other].sendto(tx.protect(plain[0]), (GW4, port))
        self.assertEqual([rx.unprotect(d) for d, _ in recv_all(view, 1)], plain)
        self.assertEqual(self.gw.streams()[1]['worker'], other)

        # valid packets at worker 0 now go to the home
        more = [rtp(seq, payload=marked_payload(1, seq)) for seq in range(101, 111)]
        for p in more:
            sock[first].sendto(tx.protect(p), (GW4, port))
        self.assertEqual([rx.unprotect(d) for d, _ in recv_all(view, len(more))], more)
        assert_nothing_queued(view)
        st = self.gw.streams()[1]
        self.assertEqual((st['worker'], st['packets'], st['auth_fail'], st['replay_fail']),
                         (other, 11, 20, 0))
        c1 = self.gw.workers_stats()
        d = [counter_deltas(c0[i], c1[i]) for i in range(2)]
        self.assertEqual(d[first].get('drop_srtp_auth'), 20)
        self.assertEqual(d[first].get('handoff_out'), 10)
        self.assertEqual(d[other].get('handoff_in'), 10)
        self.assertEqual(d[other].get('forwarded'), 11)
        self.assertNotIn('forwarded', d[first])

    def test_wrong_source_does_not_choose_the_home(self):
        """A plain stream with a configured source: packets from another
        source port at worker 1 are dropped and latch nothing; the
        source's first packet, at worker 0, makes worker 0 the home."""
        port = 31100
        sock = self.steer(port)
        src = sock[0].getsockname()
        view, _, vline = self.viewer(2, 'PLAIN')
        self.gw.apply(['stream add 2 owner=1 listen=%s:%d source=%s:%d plain' % (GW4, port, src[0], src[1]),
                       vline])
        self.addCleanup(self.gw.apply, ['stream del 2'])
        for seq in range(1, 6):
            sock[1].sendto(rtp(seq, payload=b'not the source'), (GW4, port))
        wait_for(lambda: self.gw.streams()[2]['other_fail'] == 5, what='5 source mismatches')
        self.assertEqual(self.gw.streams()[2]['worker'], NO_HOME)
        plain = rtp(6, payload=marked_payload(2, 6))
        sock[0].sendto(plain, (GW4, port))
        self.assertEqual([d for d, _ in recv_all(view, 1)], [plain])
        st = self.gw.streams()[2]
        self.assertEqual((st['worker'], st['packets'], st['other_fail']), (0, 1, 5))


if __name__ == '__main__':
    unittest.main(verbosity=2)
