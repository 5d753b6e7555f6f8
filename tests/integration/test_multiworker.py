"""Two workers on one net_af_packet port with three queues: worker 0 polls
queues 0 and 2, worker 1 polls queue 1. The kernel's PACKET_FANOUT hashes
each UDP flow to one queue.

A stream's SRTP state (ROC, replay window, egress state) belongs to one
worker: the first worker that sees one of its packets latches it
(dataplane/worker.c), and packets of the stream that arrive on another
worker are handed to it through a ring. Here 24 streams each come from one
source, and one stream comes from 32 source ports, so its packets arrive at
both workers. Every packet must decrypt at its viewer, with no
authentication or replay failure anywhere.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, SUITES, af_packet_port, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, recv_all, rtp, srtp_session,
                     wait_for)

GW4, PEER4 = '10.82.0.1', '10.82.0.2'
N_STREAMS, N_SOURCES, ROUNDS = 24, 32, 15
MULTI = 100  # the stream fed from N_SOURCES source ports
NOISE = {'drop_icmp_other', 'drop_arp_other'}


class MultiWorker(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    PIN_GATEWAY = True  # the first packets' order is checked
    # queues 0 and 2 on the first worker, 1 on the second
    WORKERS = [[('lan', 0), ('lan', 2)], [('lan', 1)]]

    @classmethod
    def port(cls):
        return af_packet_port(cls.iface, [GW4 + '/24'], 3, neighbours=[(PEER4, cls.ns_mac)])

    def test_streams_over_two_workers(self):
        suites = list(SUITES)
        streams = {}
        ops = []
        for i, sid in enumerate(list(range(1, N_STREAMS + 1)) + [MULTI]):
            in_suite, out_suite = suites[i % 4], suites[(i + 1) % 4]
            k_in, k_out = new_key(in_suite), new_key(out_suite)
            s = {'port': 25000 + 2 * i, 'view': self.sock(), 'seq': 1000 * i,
                 'tx': srtp_session(in_suite, k_in, outbound=True),
                 'rx': srtp_session(out_suite, k_out, outbound=False),
                 'cams': [self.sock() for _ in range(N_SOURCES if sid == MULTI else 1)]}
            ops += ['stream add %d owner=%d listen=%s:%d suite=%s key=%s' %
                    (sid, sid, GW4, s['port'], in_suite, b64(k_in)),
                    'viewer add %d stream=%d owner=%d to=%s:%d suite=%s key=%s' %
                    (sid * 100, sid, sid, PEER4, s['view'].getsockname()[1], out_suite, b64(k_out))]
            streams[sid] = s
        self.gw.apply(ops)
        c0 = self.gw.counters()

        source_of = {}  # seq of the multi-source stream -> index of its source
        order = {k: [] for k in range(N_SOURCES)}  # per source, seqs as received
        multi_got = []
        for _ in range(ROUNDS):
            sent = {}
            for sid, s in streams.items():
                sent[sid] = []
                for k, cam in enumerate(s['cams']):
                    seq = s['seq']
                    s['seq'] += 1
                    plain = rtp(seq, ts=seq * 90, payload=marked_payload(sid, seq))
                    cam.sendto(s['tx'].protect(plain), (GW4, s['port']))
                    sent[sid].append(plain)
                    if sid == MULTI:
                        source_of[seq] = k
            for sid, s in streams.items():
                got = [s['rx'].unprotect(d) for d, _ in recv_all(s['view'], len(sent[sid]))]
                if sid != MULTI:
                    self.assertEqual(got, sent[sid], 'stream %d' % sid)
                    continue
                # one flow per source: each source's packets stay in order;
                # packets of different sources may pass each other
                self.assertEqual(sorted(got), sorted(sent[sid]))
                multi_got += got
                for p in got:
                    seq = int.from_bytes(p[2:4], 'big')
                    order[source_of[seq]].append(seq)
        for k, seqs in order.items():
            self.assertEqual(seqs, sorted(seqs), 'source %d out of order' % k)
            self.assertEqual(len(seqs), ROUNDS)
        for s in streams.values():
            assert_nothing_queued(s['view'])

        # exact per-stream counts, no failure anywhere
        total = N_STREAMS * ROUNDS + N_SOURCES * ROUNDS
        wait_for(lambda: counter_deltas(c0, self.gw.counters()).get('forwarded', 0) >= total,
                 what='forwarded counter')
        st = self.gw.streams()
        for sid in streams:
            want = ROUNDS * (N_SOURCES if sid == MULTI else 1)
            self.assertEqual((st[sid]['packets'], st[sid]['auth_fail'], st[sid]['replay_fail'],
                              st[sid]['other_fail']), (want, 0, 0, 0), 'stream %d' % sid)
            self.assertIn(st[sid]['worker'], (0, 1))
        vs = self.gw.viewers()
        for sid in streams:
            self.assertEqual((vs[sid * 100]['packets'], vs[sid * 100]['drops']),
                             (ROUNDS * (N_SOURCES if sid == MULTI else 1), 0))
        # the single-source streams landed on both workers
        self.assertEqual({st[sid]['worker'] for sid in streams if sid != MULTI}, {0, 1})

        d = counter_deltas(c0, self.gw.counters())
        self.assertEqual(d['forwarded'], total)
        self.assertEqual({k: v for k, v in d.items() if k.startswith('drop_') and k not in NOISE}, {})
        per_worker = self.gw.workers_stats()
        self.assertEqual([w['worker'] for w in per_worker], [0, 1, 'agent'])
        out = sum(w['handoff_out'] for w in per_worker)
        into = sum(w['handoff_in'] for w in per_worker)
        self.assertEqual(out, into)
        self.assertGreater(out, 0)
        # only the multi-source stream's packets are handed off, and only
        # to its home worker
        home = st[MULTI]['worker']
        self.assertEqual(per_worker[home]['handoff_out'], 0)
        self.assertEqual(per_worker[1 - home]['handoff_in'], 0)
        self.assertLess(out, N_SOURCES * ROUNDS)
        # both workers received frames from the wire
        self.assertTrue(all(per_worker[w]['rx'] > 0 for w in (0, 1)))


if __name__ == '__main__':
    unittest.main(verbosity=2)
