"""Reconciliation: the gateway restarts (SIGTERM, then a new srtpgw on the
same port and agent socket) while srtpgw-control runs. The daemon notices,
keeps accepting changes while the gateway is away, reconnects and pushes
the whole state (REPLACE_ALL); forwarding resumes. A camera streams all
along; the test prints the gap (gateway stop to the first packet through
the new gateway) and the packets lost in it, and bounds it.
"""
import base64
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import assert_nothing_queued, wait_for  # noqa: E402
from ctltest import Camera, ControlCase, Receiver, media_of  # noqa: E402

GW4, PEER4 = '10.93.0.1', '10.93.0.2'
MAX_GAP = 10.0  # seconds from the gateway's stop to forwarding again


class ControlReconcile(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']

    def viewer(self, name, stream, suite='AEAD_AES_128_GCM', pending=False):
        s = self.sock()
        v = self.ctl('viewer', 'add', name, '--stream', stream, '--to', '%s:%d' % (PEER4, s.getsockname()[1]),
                     '--suite', suite, pending=pending)
        rx = Receiver(s, suite, base64.b64decode(v['key']))
        rx.start()
        self.addCleanup(rx.stop)
        return rx

    def test_gateway_restart(self):
        c = self.control
        self.ctl('owner', 'add', 'home')
        st = self.ctl('stream', 'add', 'cam', '--owner', 'home', '--listen', GW4 + ':27000')
        tv = self.viewer('tv', 'cam')
        gone = self.viewer('gone', 'cam')
        cam = Camera(self.sock(), GW4, 27000, st['suite'], base64.b64decode(st['key']), sid=4)
        cam.start()
        self.addCleanup(cam.stop)
        wait_for(lambda: tv.count() >= 40 and gone.count() >= 40, what='the viewers receiving')
        before = c.wait_applied()
        gw_before = self.gw.status()

        # the gateway goes away; the daemon notices
        t_stop = time.monotonic()
        self.assertEqual(self.gw.stop(), 0)
        t_stopped = time.monotonic()
        wait_for(lambda: self.ctl('status')['gateway'] == 'disconnected', what='the daemon to notice')

        # changes while it is away: accepted, committed, not applied
        late = self.viewer('late', 'cam', pending=True)
        self.assertEqual(self.ctl('viewer', 'del', 'gone', pending=True), {'name': 'gone'})
        st_down = self.ctl('status')
        self.assertEqual((st_down['gateway'], st_down['ctl_seq'], st_down['applied_seq']),
                         ('disconnected', before['ctl_seq'] + 2, before['ctl_seq']))
        self.assertEqual((st_down['streams'], st_down['viewers']), (1, 2))
        self.assertEqual([v['name'] for v in self.ctl('viewer', 'show', '--stream', 'cam')['viewers']],
                         ['late', 'tv'])
        self.assertIsNone(self.ctl('stream', 'show', 'cam')['streams'][0]['idle'])  # unknown
        r = self.ctl('stats', check=False)  # counters need the gateway: a clear refusal
        self.assertEqual(r.returncode, 1)
        self.assertIn('not connected', r.stderr)

        # a new gateway on the same port and agent socket: the same Gateway
        # object started again (same directory, config, socket path and
        # EAL file prefix), so the daemon's agent_socket stays valid
        t_start = time.monotonic()
        self.gw.start()
        t_up = time.monotonic()
        synced = c.wait_applied(timeout=30)
        t_synced = time.monotonic()
        gw = self.gw.status()
        self.assertNotEqual(gw['boot_id'], gw_before['boot_id'])
        self.assertEqual((synced['gateway'], synced['applied_seq']), ('connected', synced['ctl_seq']))
        self.assertEqual(synced['ctl_seq'], st_down['ctl_seq'])  # the push is no change of its own
        self.assertEqual((gw['ctl_seq'], gw['version'], gw['streams'], gw['viewers']),
                         (synced['ctl_seq'], synced['version'], 1, 2))
        self.assertIn('(it has change 0, we have %d)' % synced['ctl_seq'], c.read_log())

        # forwarding resumes for the old viewer and the new one; the deleted
        # one gets nothing from the new gateway
        def first_after(rx, t):
            """The first packet sent after t that rx got: (seq, arrival)."""
            with rx.lock, cam.lock:
                seqs = sorted(s for s in rx.got if cam.sent_at[s] > t)
                return seqs and (seqs[0], rx.got[seqs[0]][1])
        resumed_seq, resumed_at = wait_for(lambda: first_after(tv, t_stopped), timeout=MAX_GAP,
                                           what='forwarding to resume')
        late_seq, _ = wait_for(lambda: first_after(late, t_stopped), timeout=MAX_GAP, what='the new viewer')
        mark = cam.count()
        wait_for(lambda: tv.has(mark + 40) and late.has(mark + 40), what='40 more packets')
        cam.stop()
        n = cam.count()
        wait_for(lambda: tv.has(n) and late.has(n), what='the last packet')
        gone.stop()
        assert_nothing_queued(gone.sock)
        self.assertFalse(any(s > resumed_seq for s in gone.got))

        with tv.lock:
            lost = [s for s in range(1, n + 1) if s not in tv.got]
            self.assertEqual((tv.bad, tv.dups), ([], 0))
            for s, (plain, _) in tv.got.items():
                self.assertEqual(media_of(plain), media_of(cam.plain[s]))
        # lost: only what was sent around the restart, nothing after it
        self.assertTrue(all(s < resumed_seq for s in lost), lost)
        self.assertTrue(all(cam.sent_at[s] > t_stop - 0.5 for s in lost), lost)
        self.assertEqual(sorted(late.got), list(range(late_seq, n + 1)))
        self.assertEqual(late.bad, [])
        gap = resumed_at - t_stop
        print('\ngateway restart: stopped in %.2f s, new one up in %.2f s, daemon in sync %.2f s after the stop;'
              '\nforwarding resumed %.2f s after the stop (%.2f s after the new gateway was up); '
              '%d packets lost of %d sent at %d/s' % (
                  t_stopped - t_stop, t_up - t_start, t_synced - t_stop, gap, resumed_at - t_up,
                  len(lost), n, cam.rate))
        self.assertLess(gap, MAX_GAP)
        self.ctl('owner', 'del', 'home')
        self.assertEqual(self.gw.status()['streams'], 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
