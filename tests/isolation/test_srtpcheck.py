"""The isolation checker's own parts, without a gateway: its SRTP code
(srtpcheck.py) against libsrtp (pylibsrtp) for every suite, across a
sequence-number wrap; the impairment stage; the churn model's bookkeeping
(every authorisation it reports is one the gateway's rules allow)."""
import collections
import os
import random
import struct
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, HERE)

from isocommon import Impairment  # noqa: E402
from model import Model  # noqa: E402
from pacing import Pacer  # noqa: E402
from sgwtest import SUITES, rtp, srtp_session  # noqa: E402
from srtpcheck import RtcpKey, RxKey, TxKey  # noqa: E402


class SrtpAgainstLibsrtp(unittest.TestCase):
    def test_rx_decrypts_libsrtp_across_wrap(self):
        for suite in SUITES:
            k = os.urandom(SUITES[suite][0])
            tx, rx = srtp_session(suite, k, outbound=True), RxKey(suite, k)
            seqs = list(range(65500, 65536)) + list(range(0, 40))
            seqs[30], seqs[40] = seqs[40], seqs[30]   # reordered across the wrap
            for i, s in enumerate(seqs):
                pl = struct.pack('!4sI', b'TEST', i) + bytes(40)
                p = tx.protect(rtp(s, ssrc=0xdeadbeef, payload=pl))
                self.assertEqual(rx.unprotect(p, want=8)[:8], pl[:8], (suite, s))
                bad = bytearray(p)
                bad[-1] ^= 1
                self.assertIsNone(rx.unprotect(bytes(bad)), suite)
                bad = bytearray(p)
                bad[14] ^= 1
                self.assertIsNone(rx.unprotect(bytes(bad)), suite)
            self.assertEqual(rx.roc, 1, suite)
            # a receiver that starts after the wrap still decrypts
            late = RxKey(suite, k)
            for s in range(40, 50):
                self.assertIsNotNone(late.unprotect(tx.protect(rtp(s, ssrc=0xdeadbeef, payload=bytes(40)))))
            # and a wrong key decrypts nothing
            other = RxKey(suite, os.urandom(SUITES[suite][0]))
            self.assertIsNone(other.unprotect(tx.protect(rtp(60, ssrc=0xdeadbeef, payload=bytes(40)))))

    def test_tx_is_byte_for_byte_libsrtp(self):
        for suite in SUITES:
            k = os.urandom(SUITES[suite][0])
            ours, ref = TxKey(suite, k), srtp_session(suite, k, outbound=True)
            rx = srtp_session(suite, k, outbound=False)
            base = 65500 + 3 * 65536   # the ROC of the key starts at 0 anyway
            for n in range(80):
                plain = rtp((base + n) & 0xffff, ssrc=0x1234, payload=struct.pack('!I', n) + bytes(44))
                p = ours.protect(plain, base + n)
                self.assertEqual(p, ref.protect(plain), (suite, n))
                self.assertEqual(rx.unprotect(p), plain)

    def test_srtcp_is_byte_for_byte_libsrtp(self):
        # a sender report and an APP packet in one compound
        for suite in ('AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'):
            k = os.urandom(SUITES[suite][0])
            ours, ref = RtcpKey(suite, k), srtp_session(suite, k, outbound=True)
            rx = srtp_session(suite, k, outbound=False)
            for n in range(1, 20):
                sr = struct.pack('!BBHIQII', 0x80, 200, 6, 0x1234, n << 32, n * 3000, n) + struct.pack('!I', n * 100)
                app = struct.pack('!BBHI4s', 0x80, 204, 4, 0x1234, b'TEST') + struct.pack('!II', n, 7)
                plain = sr + app
                p = ours.protect(plain, n)   # libsrtp's SRTCP index starts at 1
                self.assertEqual(p, ref.protect_rtcp(plain), (suite, n))
                self.assertEqual(rx.unprotect_rtcp(p), plain)
                self.assertEqual(ours.unprotect(p), plain)
                bad = bytearray(p)
                bad[12] ^= 1
                self.assertIsNone(ours.unprotect(bytes(bad)))
                self.assertIsNone(RtcpKey(suite, os.urandom(30)).unprotect(p))


class Threads(unittest.TestCase):
    def test_aes_from_several_threads(self):
        """The WebRTC phase derives keys in its main thread while its
        sources protect and its capture decrypts in theirs: aesfast's
        ctypes calls let go of the GIL, so each thread must have its own
        output buffer. With one module-wide buffer, a key derived while
        another thread encrypted was sometimes the other thread's bytes (a
        session whose sender reports no key decrypted)."""
        import threading
        from aesfast import Ecb, Gcm, GcmEnc
        keys = [bytes([i]) * 16 for i in range(4)]
        data = bytes(range(256)) * 4
        want = [Ecb(k).encrypt(data) for k in keys]
        iv, aad = bytes(12), b'aad'
        sealed = [GcmEnc(k).encrypt(iv, data, aad) for k in keys]
        bad = []

        def run(i):
            e, g = Ecb(keys[i]), Gcm(keys[i])
            for _ in range(3000):
                if e.encrypt(data) != want[i] or g.decrypt(iv, sealed[i], aad) != data:
                    bad.append(i)
        ts = [threading.Thread(target=run, args=(i,)) for i in range(4)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        self.assertEqual(bad, [])


class ImpairmentStage(unittest.TestCase):
    def test_rates_and_order(self):
        imp = Impairment(random.Random(3), loss=0.01, dup=0.005, delay_ms=5, jitter_ms=3, reorder=0.05)
        n = 100000
        for i in range(n):
            imp.push(i * 100000, i)      # one packet every 0.1 ms
        out = [item for _, item in imp.due(1 << 62)]
        st = imp.stats
        self.assertEqual(st['in'], n)
        self.assertAlmostEqual(st['lost'] / n, 0.01, delta=0.002)
        self.assertAlmostEqual(st['duplicated'] / n, 0.005, delta=0.0015)
        self.assertEqual(len(out), n - st['lost'] + st['duplicated'])
        overtaken = sum(1 for a, b in zip(out, out[1:]) if b < a)
        self.assertGreater(overtaken, n * 0.02)   # reordered
        self.assertEqual(len(imp), 0)


class ChurnModel(unittest.TestCase):
    def test_reported_authorisations_follow_the_rules(self):
        """Replays the checker's events and the ops' meaning: every viewer
        the model calls authorised is its stream's owner's or granted, and
        every start has an end or is open at the end."""
        cfg = {'streams': 60, 'owners': 6, 'displays': 90, 'changes': 1000, 'seed': 5,
               'quarantine': 0.0, 'overlap': 0.0, 'orphan_life': 0.0, 'owner_churn': 50.0,
               'owner_dead': 0.0, 'orphan_fraction': 0.3}
        m = Model(cfg)
        now = 0
        open_ = set()
        kinds = collections.Counter()

        class R:
            t_end = 0
        for i in range(300):
            now += 10**7
            t = m.initial(now) if i == 0 else m.build(20, now)
            R.t_end = now
            m.applied(t, R)
            kinds.update(t.changes)
            for ev in t.chk:
                if ev[0] == 'start':
                    self.assertNotIn(ev[1], open_)
                    open_.add(ev[1])
                elif ev[0] == 'end':
                    self.assertIn(ev[1], open_)
                    open_.discard(ev[1])
            for vid, a in m.atts.items():
                cam = m.cams[a.slot]
                self.assertEqual(cam.inc, a.inc)
                self.assertIn(vid, cam.atts)
                allowed = cam.alive and (a.owner == cam.owner or a.owner in cam.grants)
                self.assertEqual(a.authorised, allowed)
                self.assertEqual(vid in open_, allowed)
                self.assertEqual(a.orphan, not allowed)
            self.assertEqual({v for v in open_ if v not in m.atts}, set())
        for k in ('move', 'grant_view', 'revoke', 'viewer_rekey', 'stream_rekey', 'recreate',
                  'end_overlap', 'orphan_delete', 'owner_delete', 'owner_recreate'):
            self.assertGreater(kinds[k], 0, k)


class BackPressure(unittest.TestCase):
    """The pacer against a simulated checker whose capacity halves for a
    while (the shared host slows down) and comes back."""

    def test_follows_capacity_without_idling_or_overflowing(self):
        fanout, mib_per_frame, dt = 1.4, 1 / 4000, 2.0
        pacer = Pacer(11000, 32)
        backlog = checked = idle = 0.0
        low, peak = [], 0.0
        for step in range(600):
            cap = 7000 if 150 <= step < 300 else 17000      # frames/s the checker can check
            came = pacer.rate * fanout * dt
            done = min(backlog + came, cap * dt)
            idle += cap * dt - done
            backlog += came - done
            checked += done
            peak = max(peak, backlog * mib_per_frame)
            pacer.update(step * dt, checked, int(backlog * mib_per_frame))
            if 200 <= step < 300:
                low.append(pacer.rate)
        # bounded backlog: far below the ring's 256 MiB
        self.assertLess(peak, 128)
        # in the slow phase it stays around the capacity, not at the floor
        self.assertGreater(min(low), 0.75 * 7000 / fanout)
        self.assertLess(max(low), 1.25 * 7000 / fanout)
        self.assertAlmostEqual(sum(low) / len(low) / (7000 / fanout), 1, delta=0.1)
        # back at full speed it returns to --rate (below the fast capacity)
        self.assertEqual(int(pacer.rate), 11000)
        # the checker is rarely idle while there is more than it can take
        self.assertLess(idle / (checked + idle), 0.15)


if __name__ == '__main__':
    unittest.main(verbosity=2)
