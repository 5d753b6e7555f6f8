"""Isolation under churn, load and a bad network, CI-sized (docs/isolation.md).

1000 streams of 50 owners through srtpgw with two workers; a churn driver
moves viewers, grants and revokes (some revokes leave the viewer attached
for the per-packet owner check to stop), deletes and recreates streams on
ports reused after the quarantine, rekeys streams and viewers and deletes
and recreates owners, aiming at 10,000 changes a second; sources send
marked SRTP whose sequence numbers wrap during the churn, plus forged
packets; every path loses, duplicates, delays and reorders. The checker
decrypts everything the viewers receive. Then the WebRTC phase: aiortc
displays over WHEP beside SDES viewers on the same gateway, each packet
they receive decrypted with the receiving display's own DTLS-SRTP key.

Fails on any misdelivery, unauthenticated forward, packet under a replaced
viewer key or packet the gateway protected twice; and if too little was
checked or changed for the run to mean anything. The figures it reached
are printed (and written to <build>/isolation-ci.json).

ISOLATION_SECONDS, ISOLATION_RATE, ISOLATION_CHANGES override the size.
"""
import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from scenario import format_report, run_scenario  # noqa: E402

SECONDS = float(os.environ.get('ISOLATION_SECONDS', 75))
RATE = int(os.environ.get('ISOLATION_RATE', 4000))
CHANGES = int(os.environ.get('ISOLATION_CHANGES', 10000))
# what a run must reach to count (the machine is shared and may be slow:
# these are far below what an idle 2-CPU machine does, see the docs)
MIN_CHECKED_PER_S = 300
MIN_CHANGES_PER_S = 1000


class IsolationCI(unittest.TestCase):
    def test_no_stream_reaches_a_stranger(self):
        rep = run_scenario(seconds=SECONDS, streams=1000, owners=50, rate=RATE, changes=CHANGES)
        print(format_report(rep), flush=True)
        out = os.path.join(os.environ.get('SRTPGW_BUILD', '/tmp'), 'isolation-ci.json')
        try:
            with open(out, 'w') as f:
                json.dump(rep, f, indent=1, default=str)
        except OSError:
            pass
        ck, d, gen = rep['checker'], rep['driver'], rep['generator']
        self.assertEqual(ck['misdeliveries'], 0, ck['samples'])
        self.assertEqual(ck['unauthenticated'], 0, ck['samples'])
        self.assertEqual(ck['stale_egress_key'], 0, ck['samples'])
        self.assertEqual(ck['duplicates_gateway'], 0, ck['samples'])
        self.assertEqual(rep['failures'], [])
        # the run meant something
        self.assertGreaterEqual(d['streams'], 1000)
        self.assertGreaterEqual(d['owners'], 50)
        self.assertGreater(ck['checked'], MIN_CHECKED_PER_S * SECONDS)
        self.assertGreater(d['changes_per_s'], MIN_CHANGES_PER_S)
        for kind in ('move', 'grant_view', 'revoke', 'recreate', 'stream_rekey', 'end_overlap',
                     'viewer_rekey', 'orphan_delete', 'owner_delete', 'owner_recreate'):
            self.assertGreater(d['by_kind'].get(kind, 0), 0, kind)
        self.assertGreater(gen['wraps'], 100)          # ROC changes in the middle of the churn
        self.assertGreater(ck['after_wrap'], 1000)     # ... and viewers got packets after it
        self.assertGreater(gen['forged_plain'], 0)
        self.assertGreater(gen['forged_key'], 0)
        g = rep['gateway_counters']
        self.assertGreater(g.get('drop_srtp_auth', 0), 0)       # forged, zombies on reused ports
        self.assertGreater(g.get('drop_owner_mismatch', 0), 0)  # revoked, still attached
        self.assertGreater(ck['duplicates_network'], 0)         # the bad network was there
        # the gateway delivers what it must (the impairment alone loses ~2%)
        self.assertLess(rep['loss']['missing_percent'], 25)
        # the WebRTC phase (webrtc_phase.py): every packet at a WebRTC
        # display or SDES viewer decrypted with its own key, none astray
        w = rep['webrtc']
        self.assertEqual(w['misdeliveries'], 0, w['samples'])
        self.assertEqual((w['undecryptable'], w['no_marker'], w['duplicates_gateway']), (0, 0, 0), w['samples'])
        self.assertEqual((w['displays'], w['webrtc_sessions'], w['sdes_viewers'], w['refused_403']),
                         (4, 8 + 4 * w['rounds'], 7, 1))
        self.assertGreaterEqual(w['rounds'], 3)
        for s in w['sessions']:
            self.assertGreater(s['checked'], 0, s)
            if s['kind'] == 'webrtc':
                # the capture has everything aiortc decrypted, and more
                # only for packets in flight when it closed
                self.assertGreater(s['aiortc_rtp'], 0, s)
                self.assertGreaterEqual(s['checked'], s['aiortc_rtp'], s)
                self.assertGreaterEqual(s['rtcp_checked'], s['aiortc_rtcp'], s)
            self.assertGreater(s['rtcp_checked'], 0, s)    # the camera's sender reports, under its own key
        self.assertGreater(w['checked_webrtc'], 500)
        # everything the gateway sent in the phase was checked
        self.assertEqual(w['checked'], w['gateway_sent'])
        self.assertLess(w['revoked_session_closed_after_s'], 1.5)   # "within a second" and a little
        self.assertGreater(w['orphan_drop_owner_mismatch'], 0)     # the owner check stopped the orphans
        self.assertLess(w['seconds'], 40)


if __name__ == '__main__':
    unittest.main(verbosity=2)
