"""The traffic generator of the isolation scenario: SRTP (pylibsrtp) for every
live stream, paced to a total rate, each payload carrying the marker
(isocommon.MARKER); forged packets; and, where the kernel has no netem, the
source path's impairment stage.

The sources protect with srtpcheck.TxKey (byte-for-byte what a libsrtp
sender produces, tests/isolation/test_srtpcheck.py): a pylibsrtp session
costs 0.7 ms to make, too much for a thousand rekeys a second.

Streams come and go as the churn driver tells it (after the gateway applied
the change): 'up' starts a stream incarnation with its key and SSRC, its RTP
sequence numbers starting just below 65535 so that they wrap (the ROC
changes) in the middle of the churn; 'rekey' switches to the new key (the
gateway still accepts the old one until END_OVERLAP); 'down' turns the
stream into a zombie that keeps sending with its old key to its old port for
a while, as a camera that was not told would: once the port is reused after
the quarantine, those packets reach a different stream and must fail
authentication there.

Forged packets go to live streams' ports with the stream's SSRC and its
next sequence number: plain RTP with a fake tag, and SRTP under a wrong
key, both with the FORGED flag in their marker. None may reach a viewer.
"""
import array
import os
import random
import socket
import struct
import time

from srtpcheck import TxKey
from isocommon import (F_FORGED, GW_IP, KEY_LEN, MAGIC, MARKER, PAYLOAD_LEN, SRC_IP, Impairment,
                       child_signals, enter_netns)

N_SOCKS = 16


class GenCam:
    __slots__ = ('slot', 'inc', 'port', 'sock', 'sess', 'suite', 'epoch', 'ssrc', 'n', 'seq0',
                 'zombie_until', 'times')


def generator_main(ns, cfg, conn_drv, conn_main):
    child_signals()
    try:
        enter_netns(ns)
        os.nice(cfg.get('generator_nice', 0))
        _generator(cfg, conn_drv, conn_main)
    except BaseException as e:
        import traceback
        conn_main.send(('error', 'generator: %s\n%s' % (e, traceback.format_exc())))
        raise SystemExit(1)


def _generator(cfg, conn_drv, conn_main):
    rng = random.Random(cfg.get('seed', 1) * 7 + 3)
    socks = []
    try:
        for _ in range(N_SOCKS):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(s)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 22)
            s.bind((SRC_IP, 0))
            s.setblocking(False)
        _run(cfg, conn_drv, conn_main, rng, socks)
    finally:
        for s in socks:
            s.close()


def _run(cfg, conn_drv, conn_main, rng, socks):
    rate = cfg['rate']
    zombie_ns = int(cfg.get('zombie', 1.5) * 1e9)
    zombie_fraction = cfg.get('zombie_fraction', 0.25)
    forged_every = cfg.get('forged_every', 50)
    sample = cfg.get('sample', 1)
    # streams live seconds under the churn (recreated, owners deleted):
    # start each incarnation at most ~5 s of packets below the wrap, so that
    # most of them wrap (the ROC changes) while viewers come and go
    wrap_span = max(4, int(rate / max(1, cfg['streams']) * 5))
    imp = Impairment(rng, **cfg['impair']) if cfg.get('impair') is not None else None
    wrong = {}   # suite -> session under a key no stream has
    cams = {}    # (slot, inc) -> GenCam
    live = []    # live (not zombie) cams, for forged targets
    order = []   # round-robin over live and zombie cams
    logs = {}    # (slot, inc) -> array of send times, index = marker seq
    st = {'genuine': 0, 'zombie': 0, 'forged_plain': 0, 'forged_key': 0, 'send_errors': 0,
          'behind': 0, 'wire': 0, 'wraps': 0, 'rate_changes': 0, 'rate_min': cfg['rate']}
    rr = 0
    dirty = False

    def handle(ev):
        nonlocal dirty
        kind = ev[0]
        if kind == 'up':
            _, slot, inc, port, suite, key, ssrc = ev
            c = GenCam()
            c.slot, c.inc, c.port, c.suite, c.ssrc = slot, inc, port, suite, ssrc
            c.sock = socks[slot % N_SOCKS]
            c.sess, c.epoch, c.n = TxKey(suite, key), 0, 0
            c.seq0 = 65535 - rng.randint(0, wrap_span)
            c.zombie_until = None
            c.times = array.array('Q') if slot % sample == 0 else None
            if c.times is not None:
                logs[(slot, inc)] = c.times
            cams[(slot, inc)] = c
        elif kind == 'rekey':
            _, slot, inc, epoch, key = ev
            c = cams.get((slot, inc))
            if c is not None and c.zombie_until is None:
                c.sess, c.epoch = TxKey(c.suite, key), epoch
        elif kind == 'down':
            c = cams.pop((ev[1], ev[2]), None)
            if c is not None and rng.random() < zombie_fraction:
                c.zombie_until = time.monotonic_ns() + zombie_ns
                cams[(ev[1], ev[2])] = c
        dirty = True

    def send(item):
        sock, data, port = item
        try:
            sock.sendto(data, (GW_IP, port))
            st['wire'] += 1
        except (BlockingIOError, OSError):
            st['send_errors'] += 1

    def packet(c, now, flags=0):
        seq = c.n
        c.n += 1
        body = MARKER.pack(MAGIC, flags, c.epoch, c.slot, c.inc, seq, now)
        body += bytes(PAYLOAD_LEN - len(body))
        hdr = struct.pack('!BBHII', 0x80, 96, (c.seq0 + seq) & 0xffff, (seq * 3000) & 0xffffffff, c.ssrc)
        if c.times is not None:
            c.times.append(now)
        if c.seq0 + seq == 65536:
            st['wraps'] += 1         # sequence number wrapped: the ROC is 1 from here
        return c.sess.protect(hdr + body, c.seq0 + seq)

    def forged(c, now, n):
        # the stream's next sequence number: nothing but the tag can stop it
        rtp_seq = (c.seq0 + c.n) & 0xffff
        body = MARKER.pack(MAGIC, F_FORGED, c.epoch, c.slot, c.inc, c.n, now)
        body += bytes(PAYLOAD_LEN - len(body))
        hdr = struct.pack('!BBHII', 0x80, 96, rtp_seq, (c.n * 3000) & 0xffffffff, c.ssrc)
        if n % 2:
            st['forged_plain'] += 1
            tag = {'AES_CM_128_HMAC_SHA1_80': 10, 'AES_CM_128_HMAC_SHA1_32': 4}.get(c.suite, 16)
            return hdr + body + bytes(rng.getrandbits(8) for _ in range(tag))
        st['forged_key'] += 1
        if c.suite not in wrong:
            wrong[c.suite] = TxKey(c.suite, bytes(rng.getrandbits(8) for _ in range(KEY_LEN[c.suite])))
        # under the ROC the stream's own key has now
        ext = c.seq0 + c.n
        roc = (ext - c.sess.first) >> 16 if c.sess.first is not None else 0
        return wrong[c.suite].protect(hdr + body, ext, roc=roc)

    conn_main.send(('ready', None))
    while not conn_main.poll(0.005):    # 'go'; meanwhile the driver's initial streams
        while conn_drv.poll():
            for ev in conn_drv.recv()[1]:
                handle(ev)
    conn_main.recv()
    base = time.monotonic_ns()
    t_start = base
    emitted = 0
    base_emitted = 0      # pacing: rate packets/s owed since (base, base_emitted)
    n_forged = 0
    running = True
    while True:
        while conn_drv.poll():
            msg = conn_drv.recv()
            for ev in msg[1]:
                handle(ev)
        if running and conn_main.poll():
            msg = conn_main.recv()
            if msg[0] == 'stop':
                running = False
                t_stop = time.monotonic_ns()
            elif msg[0] == 'rate':    # the checker's backlog: slower or faster
                base, base_emitted, rate = time.monotonic_ns(), emitted, msg[1]
                st['rate_changes'] += 1
                st['rate_min'] = min(st['rate_min'], rate)
        now = time.monotonic_ns()
        if dirty:
            dirty = False
            for k in [k for k, c in cams.items() if c.zombie_until is not None and c.zombie_until <= now]:
                del cams[k]
            order = list(cams.values())
            rng.shuffle(order)
            live = [c for c in order if c.zombie_until is None]
        if running and order:
            owed = int((now - base) * rate / 1e9) - (emitted - base_emitted)
            if owed > rate // 5 + 64:
                st['behind'] += owed - 64    # the CPU was away: no burst to catch up
                emitted += owed - 64
                owed = 64
            for _ in range(min(owed, 256)):
                c = order[rr % len(order)]
                rr += 1
                emitted += 1
                if c.zombie_until is not None:
                    if c.zombie_until <= now:
                        dirty = True
                        continue
                    st['zombie'] += 1
                else:
                    st['genuine'] += 1
                data = packet(c, now)
                item = (c.sock, data, c.port)
                if imp is not None:
                    imp.push(now, item)
                else:
                    send(item)
                if forged_every and emitted % forged_every == 0 and live:
                    n_forged += 1
                    fc = live[rng.randrange(len(live))]
                    item = (fc.sock, forged(fc, now, n_forged), fc.port)
                    if imp is not None:
                        imp.push(now, item)
                    else:
                        send(item)
        if imp is not None:
            for _, item in imp.due(now):
                send(item)
        # pace: until the next packet is owed or the next held one is due
        wait = 2e6
        if running and order:
            wait = min(wait, max(0, (emitted - base_emitted + 1) * 1e9 / rate - (now - base)))
        if imp is not None and imp.next_due() is not None:
            wait = min(wait, max(0, imp.next_due() - now))
        if not running and (imp is None or not len(imp)):
            break
        if wait > 0:
            # ticks of at least a millisecond: fewer wake-ups, small bursts
            time.sleep(max(wait, 1e6) / 1e9)
    secs = (t_stop - t_start) / 1e9
    st['seconds'] = secs
    st['pps'] = (st['genuine'] + st['zombie']) / secs if secs else 0
    st['impairment'] = dict(imp.stats) if imp is not None else None
    st['cpu_s'] = sum(os.times()[:2])
    st['t_start'], st['t_stop'] = t_start, t_stop
    conn_main.send(('done', st, {k: v.tobytes() for k, v in logs.items()}))
