"""No SRTP or SRTCP index is ever used twice under one key (invariant 8,
docs/security.md), across everything that can happen to a running system.

A camera sends SRTP and, on the same port (rtcp-mux), SRTCP sender reports;
its sequence numbers wrap early. Two viewers (AEAD_AES_128_GCM and
AES_CM_128_HMAC_SHA1_80) are received by an independent receiver
(tests/lib/indexcheck.py: RFC 3711/7714 from OpenSSL's AES, not libsrtp)
that records, for every packet, the key, SSRC and index it was protected
under and a digest of its plaintext: the same (key, SSRC, index) with two
plaintexts is a reuse. Meanwhile: kill -9 of srtpgw and a restart; of
srtpgw-control; of both; srtpgw-control stopped (SIGSTOP) until the lanes'
reservations run out (the gateway stops sending rather than cross them);
the gateway away while the camera moves 20,000 packets ahead; a viewer
rekeyed; a viewer deleted and added again; another writer on the agent
socket, whose change the daemon undoes with a full push. reserve_block is
small (256) so that reservations run out and are renewed many times.

On the code before lanes, this test saw SRTCP indices reused after every
gateway restart, and SRTP indices reused once the stored positions were
stale.
"""
import base64
import json
import os
import signal
import sqlite3
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import marked_payload, rtp, srtp_session, wait_for  # noqa: E402
from ctltest import ControlCase  # noqa: E402
from indexcheck import IndexReceiver  # noqa: E402

GW4, PEER4 = '10.97.0.1', '10.97.0.2'
PORT = 27200
SEQ0 = 65000   # the camera wraps after 536 packets
SSRC = 0x5eed0001
RATE = 400     # packets a second; every 10th is followed by an SR


def sender_report(ssrc, n):
    """An SR (no report blocks) and an SDES CNAME: 28 + 20 bytes."""
    sr = struct.pack('!BBHIQIII', 0x80, 200, 6, ssrc, n << 32, n * 3000, n, n * 100)
    sdes = struct.pack('!BBHIBB6sI', 0x81, 202, 4, ssrc, 1, 6, b'camera', 0)
    return sr + sdes


class MuxCamera(threading.Thread):
    """SRTP and SRTCP to one port, paced; burst() sends many at once."""

    def __init__(self, sock, suite, key):
        super().__init__(daemon=True)
        self.sock, self.tx = sock, srtp_session(suite, key, outbound=True)
        self.lock = threading.Lock()
        self.n = 0
        self.error = None
        self._halt = threading.Event()

    def _send_one(self):
        seq = (SEQ0 + self.n) & 0xffff
        p = rtp(seq, ts=self.n * 3000, ssrc=SSRC, payload=marked_payload(1, self.n, 100))
        self.sock.sendto(self.tx.protect(p), (GW4, PORT))
        if self.n % 10 == 0:
            self.sock.sendto(self.tx.protect_rtcp(sender_report(SSRC, self.n)), (GW4, PORT))
        self.n += 1

    def burst(self, n):
        with self.lock:
            for _ in range(n):
                self._send_one()

    def run(self):
        try:
            t = time.monotonic()
            while not self._halt.is_set():
                with self.lock:
                    self._send_one()
                t += 1.0 / RATE
                delay = t - time.monotonic()
                if delay > 0:
                    self._halt.wait(delay)  # pacing, not synchronisation
                else:
                    t = time.monotonic()
        except Exception as e:  # raised by stop()
            self.error = e

    def stop(self):
        self._halt.set()
        self.join(10)
        if self.error:
            raise self.error


class IndexReuse(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'position_poll = 1;\nreserve_block = 256;\napply_timeout = 1000;'

    def add_viewer(self, name, suite, rx):
        v = self.ctl('viewer', 'add', name, '--stream', 'cam', '--suite', suite,
                     '--to', '%s:%d' % (PEER4, rx.sock.getsockname()[1]))
        rx.add_key(name + '#%d' % len(rx.keys), suite, base64.b64decode(v['key']))
        return rx.keys[0][0]

    def progress(self, what, rtp=200, rtcp=10):
        """Until each viewer received rtp more packets and rtcp more
        reports under its current key."""
        goals = [(rx, rx.keys[0][0], rx.count(rx.keys[0][0]) + rtp, rx.count(rx.keys[0][0], 'rtcp') + rtcp)
                 for rx in self.rxs]
        wait_for(lambda: all(rx.count(k) >= a and rx.count(k, 'rtcp') >= b for rx, k, a, b in goals),
                 30, 'the viewers to receive again after: ' + what, interval=0.05)

    def kill_gateway(self):
        self.gw.kill9()

    def restart_gateway(self):
        self.gw.start()
        self.control.wait_applied(timeout=30)

    def restart_control(self):
        self.control.start()
        self.control.wait_applied(timeout=30)

    def test_no_index_reused(self):
        self.ctl('owner', 'add', 'home')
        st = self.ctl('stream', 'add', 'cam', '--owner', 'home', '--listen', '%s:%d' % (GW4, PORT))
        self.rxs = [IndexReceiver(self.sock()), IndexReceiver(self.sock())]
        for rx in self.rxs:
            rx.start()
            self.addCleanup(rx.stop)
        tv, phone = self.rxs
        self.add_viewer('tv', 'AEAD_AES_128_GCM', tv)
        self.add_viewer('phone', 'AES_CM_128_HMAC_SHA1_80', phone)
        cam = MuxCamera(self.sock(), st['suite'], base64.b64decode(st['key']))
        cam.start()
        self.addCleanup(cam.stop)

        # through the camera's wrap, reservations renewed along the way
        self.progress('the start', rtp=800, rtcp=40)
        self.assertGreater(cam.n, 536)
        wait_for(lambda: (self.ctl('stream', 'show', 'cam')['streams'][0]['position'] or {}).get('roc') == 1,
                 20, 'the daemon to store the ROC 1 position')

        self.kill_gateway()
        self.restart_gateway()
        self.progress('kill -9 of srtpgw')

        self.control.kill9()
        self.restart_control()
        self.progress('kill -9 of srtpgw-control')

        self.kill_gateway()
        self.control.kill9()
        self.gw.start()
        self.restart_control()
        self.progress('kill -9 of both')

        # the daemon stopped: the gateway sends until the reservations run
        # out, then refuses rather than cross them
        drops = self.gw.counters().get('drop_srtp_reserve', 0)
        os.kill(self.control.proc.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: self.gw.counters().get('drop_srtp_reserve', 0) > drops + 2 * RATE // 10,
                     20, 'the gateway to stop at the reservations')
        finally:
            os.kill(self.control.proc.pid, signal.SIGCONT)
        self.progress('srtpgw-control stopped and continued')

        # the gateway away while the camera moves 20,000 packets ahead
        self.kill_gateway()
        for _ in range(10):
            cam.burst(2000)
        self.restart_gateway()
        self.progress('the gateway away while the camera moved on')

        # a rekey; a viewer deleted and added again (new keys: a key is
        # never given twice)
        v = self.ctl('viewer', 'rekey', 'tv')
        tv.add_key('tv#rekeyed', 'AEAD_AES_128_GCM', base64.b64decode(v['key']))
        self.progress('a rekey')
        self.ctl('viewer', 'del', 'phone')
        self.add_viewer('phone', 'AES_CM_128_HMAC_SHA1_80', phone)
        self.progress('a viewer added again')

        # another writer: the daemon sees the version jump at its next
        # change and pushes everything again (REPLACE_ALL keeps the viewers)
        self.gw.apply(['stream add 424242 owner=7 listen=%s:%d plain' % (GW4, PORT + 100)])
        self.ctl('owner', 'add', 'someone')
        wait_for(lambda: 424242 not in self.gw.streams(), 20, 'the full push to undo the other writer')
        self.progress('a full push')

        # what the gateway may still use is reserved in the database, and
        # at most a block ahead of what it used (the jump after a crash)
        r = self.gw.agentctl('stats', 'lanes')
        self.assertEqual(r.returncode, 0, r.stderr)
        lanes = json.loads(r.stdout)
        self.assertEqual(len(lanes), 8)
        db = sqlite3.connect(self.control.db)
        stored = {(v, lane): (rtp, rtcp) for v, lane, rtp, rtcp in db.execute(
            'SELECT viewer_id, lane, rtp_res, rtcp_res FROM viewer_lanes')}
        db.close()
        for ln in lanes:
            rtp, rtcp = stored[(ln['viewer'], ln['lane'])]
            self.assertLessEqual(ln['limit'], rtp, ln)
            self.assertLessEqual(ln['rtcp_limit'], rtcp, ln)
            self.assertLessEqual(ln['limit'] + 1 - ln['next'], 256, ln)
        self.assertEqual(sum(1 for ln in lanes if ln['source'] == SSRC), 2)

        cam.stop()
        for rx in self.rxs:
            rx.stop()
        counters = self.gw.counters()
        for name, rx in (('tv', tv), ('phone', phone)):
            with self.subTest(viewer=name):
                self.assertEqual(rx.reused, [], 'indices used twice under one key')
                self.assertEqual(rx.bad, 0, 'packets no key of the viewer decrypts: %s' % rx.bad_pkts)
                keys = {k for k, _ in rx.plains}
                self.assertGreaterEqual(len(keys), 2)
                for k in keys:
                    self.assertGreater(rx.count(k, 'rtcp'), 0, k)
                # what arrived is the camera's media, marked
                for _, p in rx.plains:
                    self.assertEqual(p[12:16], b'SGWT')
        self.assertEqual(counters.get('drop_srtp_index_used', 0), 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
