"""The isolation checker: receives what every viewer receives (one AF_PACKET
socket in the viewers' namespace), decrypts each packet with the keys the
model gave the display it was sent to (its own SRTP code, srtpcheck.py, not
libsrtp), reads the sources' marker and decides, for every packet, whether
the display was authorised for that stream incarnation when it was sent.

A packet of stream S, incarnation I, sent at t (marker), received at r,
that decrypts with a key of gateway viewer A (display W) is:
  - an unauthenticated forward if its marker says FORGED, if no key W ever
    had decrypts it, if it has no marker, or if its ingress key epoch had
    stopped being accepted before t (the source still used a key whose
    overlap had ended);
  - a misdelivery if A is not a viewer of (S, I) (wrong egress context), or
    if no authorisation interval of A contains it: authorised means
    r >= t_commit(start) and t < t_end(end), where t_commit is taken just
    before the driver sent the COMMIT that made A a viewer with an allowed
    owner, and t_end is when the driver received the reply to the HELLO
    that followed the COMMIT that ended it (viewer or stream deleted, grant
    revoked, owner deleted). docs/isolation.md says why.
The checker processes a packet only once the driver has reported every
transaction committed before r (watermark): a transaction committed later
cannot have been used for it.
"""
import array
import bisect
import collections
import os
import select
import socket
import time
import zlib

from isocommon import F_FORGED, MAGIC, MARKER, Impairment, child_signals, display_addr, enter_netns
from rxring import RxRing
from srtpcheck import RxKey

ETH_P_IP = 0x0800
PACKET_HOST, PACKET_MULTICAST = 0, 2
# A deleted viewer is forgotten this long after its t_end, by arrival time
# at the viewers (not by when the checker gets to it). Forgetting too early
# cannot hide a misdelivery: a late packet under a forgotten key fails the
# run as undecryptable. Paths hold a packet for at most ~10 ms; a longer
# keep only makes the checker's working set, and so each packet, dearer.
KEEP_NS = 5 * 10**9
KEEP_EPOCH_NS = 120 * 10**9
DUP_WINDOW_NS = 5 * 10**9
SLACK_NS = 50 * 10**6         # expected deliveries: sent this long before the end at the latest
INF = 1 << 63


class CAtt:
    __slots__ = ('vid', 'disp', 'slot', 'inc', 'ssrc', 'keys', 'intervals', 'got')

    def __init__(self, vid, disp, slot, inc, ssrc, suite, key, sampled):
        self.vid, self.disp, self.slot, self.inc, self.ssrc = vid, disp, slot, inc, ssrc
        # [suite, material, RxKey or None, t_end of the rekey that replaced it]
        self.keys = [[suite, key, None, None]]
        # [t_commit start, t_applied start, t_commit end, t_end end]
        self.intervals = []
        self.got = {} if sampled else None   # marker seq -> send time


class CDisplay:
    __slots__ = ('id', 'atts', 'by_ssrc', 'last')

    def __init__(self, i):
        self.id, self.atts, self.by_ssrc = i, [], {}
        self.last = {}   # ssrc -> (viewer, key index) that decrypted the last packet


class Checker:
    def __init__(self, cfg):
        self.cfg = cfg
        self.sample = cfg.get('sample', 1)
        self.displays = {}
        for i in range(cfg['displays']):
            ip, port = display_addr(i)
            k = (int.from_bytes(socket.inet_aton(ip), 'big') << 16) | port
            self.displays[k] = CDisplay(i)
        self.displays_by_id = {d.id: d for d in self.displays.values()}
        self.atts = {}
        self.epoch_end = {}
        self.watermark = 0
        self.expire = collections.deque()
        self.epoch_expire = collections.deque()
        self.windows = []   # (slot, inc, from, to, received): packets that had to arrive
        self.forgotten = 0
        self.dup_cur, self.dup_old, self.dup_rot = {}, {}, 0
        self.c = collections.Counter()
        self.mis = collections.Counter()
        self.unauth = collections.Counter()
        self.samples = []
        self.late_max = 0
        self.txns = 0

    # ---- the model, from the driver ------------------------------------------------
    def on_txn(self, version, tc, ta, te, events):
        self.txns += 1
        for ev in events:
            k = ev[0]
            if k == 'att':
                _, vid, disp, slot, inc, ssrc, suite, key = ev
                a = CAtt(vid, disp, slot, inc, ssrc, suite, key, slot % self.sample == 0)
                self.atts[vid] = a
                d = self.displays_by_id[disp]
                d.atts.append(a)
                d.by_ssrc.setdefault(ssrc, []).append(a)
            elif k == 'start':
                self.atts[ev[1]].intervals.append([tc, ta, None, None])
            elif k == 'end':
                iv = self.atts[ev[1]].intervals[-1]
                iv[2], iv[3] = tc, te
            elif k == 'gone':
                self.expire.append((te + KEEP_NS, self.atts[ev[1]]))
            elif k == 'vkey':
                a = self.atts[ev[1]]
                a.keys[-1][3] = te
                a.keys.append([a.keys[-1][0], ev[2], None, None])
            elif k == 'epoch_end':
                self.epoch_end[(ev[1], ev[2], ev[3])] = te
                self.epoch_expire.append((te + KEEP_EPOCH_NS, (ev[1], ev[2], ev[3])))
        self.watermark = max(self.watermark, te)

    # ---- one packet --------------------------------------------------------------
    def _decrypt(self, cands, pl, last=None):
        # the key that decrypted this display's last packet of this SSRC
        # first (an optimisation only: no two keys decrypt one packet),
        # then newest viewer and newest key first; every key's guessed ROC
        # before the other ROCs of any (a wrong key then costs one try)
        if last is not None and last[0] in cands:
            a, ki = last
            k = a.keys[ki]
            plain = k[2].unprotect(pl, MARKER.size, True, False)
            if plain is not None:
                return a, ki, plain
        for guess in (True, False):
            for a in reversed(cands):
                for ki in range(len(a.keys) - 1, -1, -1):
                    k = a.keys[ki]
                    if k[2] is None:
                        k[2] = RxKey(k[0], k[1])
                    plain = k[2].unprotect(pl, MARKER.size, guess, not guess)
                    if plain is not None:
                        return a, ki, plain
        return None

    def _sample(self, kind, **kw):
        if len(self.samples) < 30:
            kw['kind'] = kind
            self.samples.append(kw)

    def check(self, r, dkey, pl, arrival):
        """r: when the checker took the packet (after the viewer path's
        impairment stage, if any); arrival: when it reached the viewer
        (kernel timestamp, plus the stage's hold), for statistics only."""
        c = self.c
        c['frames'] += 1
        d = self.displays.get(dkey)
        if d is None:
            self.mis['unknown_destination'] += 1
            self._sample('unknown_destination', ip=dkey >> 16, port=dkey & 0xffff)
            return
        if len(pl) < 12:
            self.unauth['undecryptable'] += 1
            return
        ssrc = int.from_bytes(pl[8:12], 'big')
        cands = d.by_ssrc.get(ssrc)
        found = self._decrypt(cands, pl, d.last.get(ssrc)) if cands else None
        if found is None:
            found = self._decrypt([a for a in d.atts[-64:] if a.ssrc != ssrc], pl)
        if found is None:
            self.unauth['undecryptable'] += 1
            self._sample('undecryptable', display=d.id, ssrc=ssrc, length=len(pl), r=r)
            return
        a, ki, plain = found
        d.last[ssrc] = (a, ki)
        if len(plain) < MARKER.size or plain[:4] != MAGIC:
            self.unauth['no_marker'] += 1
            self._sample('no_marker', display=d.id, vid=a.vid)
            return
        _, flags, epoch, slot, inc, seq, t = MARKER.unpack_from(plain)
        if flags & F_FORGED:
            self.unauth['forged'] += 1
            self._sample('forged', display=d.id, vid=a.vid, slot=slot, inc=inc, t=t, r=r)
            return
        c['checked'] += 1
        if a.keys[ki][2].last_roc:
            c['after_wrap'] += 1          # the viewer's context had rolled over
        if (slot, inc) != (a.slot, a.inc):
            self.mis['wrong_context'] += 1
            self._sample('wrong_context', display=d.id, vid=a.vid, att=(a.slot, a.inc),
                         marker=(slot, inc, seq), t=t, r=r)
        else:
            ok = False
            for iv in a.intervals:
                if r >= iv[0] and (iv[3] is None or t < iv[3]):
                    ok = True
                    if iv[3] is not None and arrival >= iv[3]:
                        # sent before the end, arrived after: legitimate
                        c['arrived_after_end'] += 1
                        self.late_max = max(self.late_max, arrival - iv[3])
                    break
            if not ok:
                self.mis['outside_window'] += 1
                self._sample('outside_window', display=d.id, vid=a.vid, stream=(slot, inc), seq=seq,
                             t=t, r=r, intervals=[list(iv) for iv in a.intervals],
                             after_end_ms=[(t - iv[3]) / 1e6 for iv in a.intervals if iv[3]])
        if a.keys[ki][3] is not None and t >= a.keys[ki][3]:
            c['stale_egress_key'] += 1
            self._sample('stale_egress_key', display=d.id, vid=a.vid, t=t, replaced_end=a.keys[ki][3])
        ee = self.epoch_end.get((slot, inc, epoch))
        if ee is not None and t >= ee:
            self.unauth['stale_ingress_key'] += 1
            self._sample('stale_ingress_key', display=d.id, stream=(slot, inc), epoch=epoch, t=t,
                         epoch_end=ee)
        dk = (d.id, slot, inc, seq)
        crc = zlib.crc32(pl)
        prev = self.dup_cur.get(dk)
        if prev is None:
            prev = self.dup_old.get(dk)
        if prev is None:
            self.dup_cur[dk] = crc
        elif prev == crc:
            c['duplicates_network'] += 1      # the same frame twice: the path duplicated it
        else:
            c['duplicates_gateway'] += 1      # the same packet protected twice
            self._sample('duplicate_gateway', display=d.id, stream=(slot, inc), seq=seq)
        if a.got is not None:
            a.got[seq] = t

    def housekeeping(self, arrival):
        """Forget what no packet can need any more, by arrival time at the
        viewers (not by when the checker gets to a packet: it may lag)."""
        while self.expire and self.expire[0][0] < arrival:
            _, a = self.expire.popleft()
            self._forget(a, None)
        while self.epoch_expire and self.epoch_expire[0][0] < arrival:
            self.epoch_end.pop(self.epoch_expire.popleft()[1], None)
        if arrival - self.dup_rot > DUP_WINDOW_NS:
            self.dup_rot = arrival
            self.dup_old, self.dup_cur = self.dup_cur, {}

    def _forget(self, a, t_stop):
        """Drop viewer a; keep, for the loss accounting, how many of the
        packets that had to reach it did: those sent after its start was
        applied and more than SLACK before its end was committed (or the
        sources stopped)."""
        if a.got is not None:
            for iv in a.intervals:
                lo = iv[1]
                hi = (iv[2] if iv[2] is not None else t_stop) - SLACK_NS
                if hi > lo:
                    self.windows.append((a.slot, a.inc, lo, hi,
                                         sum(1 for t in a.got.values() if lo <= t < hi)))
        self.atts.pop(a.vid, None)
        d = self.displays_by_id[a.disp]
        d.atts.remove(a)
        if d.last.get(a.ssrc, (None,))[0] is a:
            del d.last[a.ssrc]
        lst = d.by_ssrc[a.ssrc]
        lst.remove(a)
        if not lst:
            del d.by_ssrc[a.ssrc]
        self.forgotten += 1

    # ---- loss, from the generator's send log -----------------------------------------
    def deliveries(self, logs, t_stop):
        """Of the packets that had to arrive (see _forget), how many did."""
        for a in list(self.atts.values()):
            self._forget(a, t_stop)
        expected = delivered = 0
        arrays = {}
        for slot, inc, lo, hi, got in self.windows:
            times = arrays.get((slot, inc))
            if times is None:
                raw = logs.get((slot, inc))
                if raw is None:
                    continue
                times = arrays[(slot, inc)] = array.array('Q')
                times.frombytes(raw)
            expected += bisect.bisect_left(times, hi) - bisect.bisect_left(times, lo)
            delivered += got
        return expected, delivered

    def report(self):
        return {'frames': self.c['frames'], 'checked': self.c['checked'],
                'misdeliveries': sum(self.mis.values()), 'misdelivery_kinds': dict(self.mis),
                'unauthenticated': sum(self.unauth.values()), 'unauthenticated_kinds': dict(self.unauth),
                'stale_egress_key': self.c['stale_egress_key'],
                'duplicates_network': self.c['duplicates_network'],
                'duplicates_gateway': self.c['duplicates_gateway'],
                'arrived_after_end': self.c['arrived_after_end'], 'after_wrap': self.c['after_wrap'],
                'arrived_after_end_max_ms': self.late_max / 1e6,
                'viewers_seen': len(self.atts) + self.forgotten, 'txns': self.txns, 'samples': self.samples}


def checker_main(ns, ifname, cfg, conn_drv, conn_main):
    child_signals()
    try:
        enter_netns(ns)
        _checker(ifname, cfg, conn_drv, conn_main)
    except BaseException as e:
        import traceback
        conn_main.send(('error', 'checker: %s\n%s' % (e, traceback.format_exc())))
        raise SystemExit(1)


def _checker(ifname, cfg, conn_drv, conn_main):
    import random
    ck = Checker(cfg)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    # 256 MiB of ring: about 800,000 frames of backlog if the checker lags
    ring = RxRing(s)
    s.bind((ifname, ETH_P_IP))
    t_off, off = 0, 0
    # behind the gateway, the driver and the sources for the CPU: it may
    # lag during the run (the ring holds the frames) and catch up
    os.nice(cfg.get('checker_nice', 5))
    imp = Impairment(random.Random(cfg.get('seed', 1) * 11 + 5), **cfg['impair']) \
        if cfg.get('impair') is not None else None
    pending = collections.deque()   # (arrival time, display key, payload)
    sock_stats = [0, 0]
    received = 0                    # frames for us read from the socket
    other = 0
    finishing = None                # frames the gateway sent towards the viewers, once known
    final = False
    t_last_progress = time.monotonic_ns()
    conn_main.send(('ready', None))
    prof = None
    if os.environ.get('SGW_ISO_PROFILE'):
        import cProfile
        prof = cProfile.Profile()
        prof.enable()

    def read_stats():
        p, dr = ring.stats()
        sock_stats[0] += p
        sock_stats[1] += dr

    while True:
        busy = False
        n_msgs = 0
        while n_msgs < 8 and conn_drv.poll():
            # a few at a time: packets get their turn even when the
            # driver's messages never stop coming
            n_msgs += 1
            msg = conn_drv.recv()
            busy = True
            if msg[0] == 'txn':
                ck.on_txn(*msg[1:])
            elif msg[0] == 'wm':
                ck.watermark = max(ck.watermark, msg[1])
            elif msg[0] == 'final':
                final = True
                ck.watermark = INF
        while conn_main.poll():
            msg = conn_main.recv()
            if msg[0] == 'finish':
                finishing = msg[1]
                finish_deadline = time.monotonic_ns() + int(msg[2] * 1e9)
        n = 0
        now = time.monotonic_ns()
        if now - t_off > 1e9:
            t_off = now
            off = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.monotonic_ns()
        # leave a backlog in the ring, not in Python's memory: read only
        # while the frames already taken are few
        while n < 512 and len(pending) < 8192:
            frames = ring.block()
            if frames is None:
                break
            n += len(frames)
            now = time.monotonic_ns()
            for data, kts, pkttype in frames:
                kts -= off
                # what the viewers' host takes in: to its MAC, broadcast,
                # multicast (not frames the bridge flooded to another MAC)
                if pkttype > PACKET_MULTICAST or len(data) < 42 or data[12:14] != b'\x08\x00' or data[23] != 17:
                    other += 1
                    continue
                received += 1
                ihl = (data[14] & 0x0f) * 4
                u = 14 + ihl
                ulen = int.from_bytes(data[u + 4:u + 6], 'big')
                dkey = (int.from_bytes(data[30:34], 'big') << 16) | int.from_bytes(data[u + 2:u + 4], 'big')
                item = (dkey, data[u + 8:u + ulen], kts, now)
                if imp is not None:
                    imp.push(now, item)
                else:
                    pending.append((now, item))
        busy = busy or n > 0
        now = time.monotonic_ns()
        if imp is not None:
            for due, item in imp.due(now):
                # arrival at the viewer: when the path meant it to arrive
                # (item[2]: kernel timestamp + the hold), taken now
                dkey, pl, kts, t_in = item
                pending.append((now, (dkey, pl, kts + (due - t_in), now)))
        done = 0
        while pending and pending[0][0] <= ck.watermark and done < 512:
            r, (dkey, pl, arrival, _) = pending.popleft()
            ck.check(r, dkey, pl, arrival)
            done += 1
        if done:
            ck.housekeeping(arrival - 10**9)   # a second's slack for reordering
            busy = True
        if now - t_last_progress > 2e9:
            t_last_progress = now
            read_stats()
            conn_main.send(('progress', {'checked': ck.c['checked'], 'pending': len(pending),
                                         'backlog_mib': ring.backlog() >> 20, 'socket_drops': sock_stats[1],
                                         'txns': ck.txns, 'watermark_lag_ms': (now - ck.watermark) / 1e6,
                                         'misdeliveries': sum(ck.mis.values()),
                                         'unauthenticated': sum(ck.unauth.values())}))
        if finishing is not None:
            read_stats()
            all_in = received + other + sock_stats[1] >= finishing or now > finish_deadline
            if final and all_in and not pending and (imp is None or not len(imp)) and n == 0:
                break
        if not busy:
            timeout = 0.002
            if imp is not None and imp.next_due() is not None:
                timeout = max(0, min(timeout, (imp.next_due() - now) / 1e9))
            select.select([s, conn_drv, conn_main], [], [], timeout)
    read_stats()
    ring.close()
    s.close()
    if prof is not None:
        prof.disable()
        prof.dump_stats(os.environ['SGW_ISO_PROFILE'])
    rep = ck.report()
    rep.update({'cpu_s': sum(os.times()[:2]), 'frames_received': received, 'frames_other': other, 'socket_drops': sock_stats[1],
                'frames_expected': finishing,
                'impairment': dict(imp.stats) if imp is not None else None})
    conn_main.send(('checked', rep))
    # the generator's send log, for the loss of what had to arrive
    msg = conn_main.recv()
    if msg[0] == 'logs':
        exp, got = ck.deliveries(msg[1], msg[2])
        conn_main.send(('deliveries', {'expected': exp, 'delivered': got}))
