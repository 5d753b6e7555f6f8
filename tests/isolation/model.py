"""The churn driver of the isolation scenario and its authoritative model.

It talks to the gateway's agent socket directly (tests/lib/agentproto.py),
batching many changes into each transaction: the control plane's path
(srtpgwctl -> srtpgw-control -> SQLite -> agent) commits one change at a
time to disk and cannot come near 10,000 changes a second.

The model: owners; cameras (stream slots: owner, incarnation, gateway stream
id, listen port, ingress key and its epoch, grants); displays (an owner's
screen at a fixed address:port); attachments (one gateway viewer: a display
on one stream incarnation, with its own egress keys). Every attachment has a
fresh viewer id and a fresh key, so the key a packet decrypts with tells the
checker which gateway viewer (egress context) produced it.

For every transaction the driver records t_commit (before it sends COMMIT),
t_applied (APPLIED received) and t_end (the reply to the HELLO sent right
after COMMIT: the agent reads it only after the grace period that follows
the publish). The checker gets, per transaction, the authorisations that
started and ended in it with those times (see docs/isolation.md).
"""
import collections
import os
import queue
import random
import sys
import threading
import time

import agentproto as ap
from isocommon import GW_IP, KEY_LEN, STREAM_PORT_BASE, SUITES, display_addr

MAX_GRANTS = 7  # SGW_MAX_GRANTS
KINDS = ('move', 'grant_view', 'revoke', 'detach', 'viewer_rekey', 'stream_rekey', 'recreate')
DEFAULT_MIX = {'move': 36, 'grant_view': 16, 'revoke': 14, 'detach': 4, 'viewer_rekey': 14,
               'stream_rekey': 9, 'recreate': 7}


class Cam:
    __slots__ = ('slot', 'owner', 'alive', 'inc', 'sid', 'port', 'suite', 'epoch', 'overlap',
                 'ssrc', 'grants', 'atts')

    def __init__(self, slot, owner):
        self.slot, self.owner = slot, owner
        self.alive, self.inc, self.sid, self.port = False, 0, 0, 0
        self.suite, self.epoch, self.overlap, self.ssrc = None, 0, False, 0
        self.grants = set()   # owners besides cam.owner that may receive it
        self.atts = set()     # viewer ids on this incarnation (orphans too)


class Display:
    __slots__ = ('id', 'owner', 'ip', 'port', 'att', 'orphans')

    def __init__(self, i, owner):
        self.id, self.owner = i, owner
        self.ip, self.port = display_addr(i)
        self.att = None        # the viewer id it shows, or None
        self.orphans = {}      # viewer id -> time it lost its grant (still attached)


class Att:
    __slots__ = ('vid', 'disp', 'slot', 'inc', 'owner', 'suite', 'authorised', 'orphan')

    def __init__(self, vid, disp, cam, suite):
        self.vid, self.disp, self.slot, self.inc = vid, disp.id, cam.slot, cam.inc
        self.owner, self.suite = disp.owner, suite
        self.authorised, self.orphan = False, False


class Owner:
    __slots__ = ('id', 'alive', 'cams', 'displays', 'since')

    def __init__(self, i):
        self.id, self.alive, self.cams, self.displays, self.since = i, True, [], [], 0


class Txn:
    """Ops of one transaction, and what it means to the checker and to the
    generator (sent after the gateway has applied it)."""

    def __init__(self):
        self.ops, self.chk, self.gen = [], [], []
        self.touched = set()          # camera slots whose authorisations may change
        self.freed_ports = []
        self.changes = collections.Counter()


def new_key(suite):
    return os.urandom(KEY_LEN[suite])


class Model:
    def __init__(self, cfg, rng=None):
        self.cfg = cfg
        self.rng = rng or random.Random(cfg.get('seed', 1))
        n_owners, n_streams = cfg['owners'], cfg['streams']
        n_displays = cfg.get('displays') or n_streams * 2
        self.owners = {o: Owner(o) for o in range(1, n_owners + 1)}
        self.cams = {}
        for s in range(1, n_streams + 1):
            c = Cam(s, (s - 1) % n_owners + 1)
            self.cams[s] = c
            self.owners[c.owner].cams.append(s)
        self.displays = []
        for i in range(n_displays):
            d = Display(i, i % n_owners + 1)
            self.displays.append(d)
            self.owners[d.owner].displays.append(i)
        self.atts = {}
        self.next_sid, self.next_vid = 1, 1
        self.ssrcs = set()
        spare = max(64, n_streams // 4)
        # (time it became free, port): FIFO, so the oldest free port is
        # reused first, once it has been free for the quarantine
        self.ports = collections.deque((-(1 << 62), STREAM_PORT_BASE + i)
                                       for i in range(n_streams + spare))
        self.quarantine_ns = int(cfg.get('quarantine', 1.0) * 1e9)
        self.overlaps = collections.deque()     # (since, slot, inc)
        self.orphan_q = collections.deque()     # (since, vid)
        self.dead_q = collections.deque()       # (since, owner)
        self.mix = cfg.get('mix') or DEFAULT_MIX
        self.mix_kinds = list(self.mix)
        self.mix_weights = [self.mix[k] for k in self.mix_kinds]
        self.owner_budget = 0.0
        self.last_owner_t = None
        self.totals = collections.Counter()

    # ---- helpers -------------------------------------------------------------
    def _ssrc(self):
        while True:
            s = self.rng.getrandbits(32)
            if s and s not in self.ssrcs:
                self.ssrcs.add(s)
                return s

    def _take_port(self, now):
        if self.ports and self.ports[0][0] + self.quarantine_ns <= now:
            return self.ports.popleft()[1]
        return None

    def _attach(self, t, d, cam):
        """A new viewer: display d on cam's current incarnation."""
        suite = self.rng.choice(SUITES)
        key = new_key(suite)
        a = Att(self.next_vid, d, cam, suite)
        self.next_vid += 1
        self.atts[a.vid] = a
        cam.atts.add(a.vid)
        d.att = a.vid
        t.ops.append(ap.viewer_add(a.vid, cam.sid, d.owner, d.ip, d.port, suite, key))
        t.chk.append(('att', a.vid, d.id, cam.slot, cam.inc, cam.ssrc, suite, key))
        t.touched.add(cam.slot)

    def _drop_att(self, t, vid, op=True):
        """Viewer vid goes (VIEWER_DEL, or with its stream when op is False)."""
        a = self.atts.pop(vid)
        d = self.displays[a.disp]
        if d.att == vid:
            d.att = None
        d.orphans.pop(vid, None)
        self.cams[a.slot].atts.discard(vid)
        if op:
            t.ops.append(ap.viewer_del(vid))
        if a.authorised:
            t.chk.append(('end', vid))
        t.chk.append(('gone', vid))

    def _stream_up(self, t, cam, now):
        port = self._take_port(now)
        if port is None:
            return False
        cam.inc += 1
        cam.alive, cam.port, cam.sid = True, port, self.next_sid
        self.next_sid += 1
        cam.suite = self.rng.choice(SUITES)
        cam.epoch, cam.overlap, cam.ssrc = 0, False, self._ssrc()
        cam.grants = set()
        key = new_key(cam.suite)
        t.ops.append(ap.stream_add(cam.sid, cam.owner, GW_IP, port, cam.suite, key))
        t.gen.append(('up', cam.slot, cam.inc, port, cam.suite, key, cam.ssrc))
        t.chk.append(('cam', cam.slot, cam.inc, cam.ssrc, cam.owner, cam.sid, port))
        return True

    def _stream_down(self, t, cam):
        t.ops.append(ap.stream_del(cam.sid))
        for vid in list(cam.atts):
            self._drop_att(t, vid, op=False)   # the gateway deletes them with it
        cam.alive = False
        cam.grants = set()
        self.ssrcs.discard(cam.ssrc)
        t.freed_ports.append(cam.port)
        t.gen.append(('down', cam.slot, cam.inc))
        t.chk.append(('cam_down', cam.slot, cam.inc))

    def _alive_owner(self):
        for _ in range(20):
            o = self.owners[self.rng.randint(1, len(self.owners))]
            if o.alive:
                return o
        return None

    def _alive_cam(self, owner=None, exclude=None):
        pool = self.owners[owner].cams if owner else None
        for _ in range(20):
            s = self.rng.choice(pool) if pool else self.rng.randint(1, len(self.cams))
            c = self.cams[s]
            if c.alive and s != exclude and self.owners[c.owner].alive:
                return c
        return None

    def _display(self, owner=None, attached=None):
        pool = self.owners[owner].displays if owner else None
        for _ in range(20):
            i = self.rng.choice(pool) if pool else self.rng.randrange(len(self.displays))
            d = self.displays[i]
            if not self.owners[d.owner].alive:
                continue
            if attached is None or (d.att is not None) == attached:
                return d
        return None

    def _move(self, t, d, cam):
        if d.att is not None:
            self._drop_att(t, d.att)
        self._attach(t, d, cam)

    # ---- the changes ------------------------------------------------------------
    def ch_move(self, t, now):
        """A display switches to another of its owner's streams."""
        d = self._display()
        if d is None:
            return False
        cur = self.atts[d.att].slot if d.att is not None else None
        cam = self._alive_cam(d.owner, exclude=cur)
        if cam is None:
            return False
        self._move(t, d, cam)
        return True

    def ch_grant_view(self, t, now):
        """An owner lets another owner's display watch one of its streams."""
        d = self._display()
        if d is None:
            return False
        cam = self._alive_cam()
        if cam is None or cam.owner == d.owner:
            return False
        if d.att is not None and self.atts[d.att].slot == cam.slot:
            return False
        if d.owner not in cam.grants:
            if len(cam.grants) >= MAX_GRANTS:
                return False
            # a viewer left attached by a revoke would be authorised again:
            # never re-grant while one is there (each viewer id has one
            # authorisation interval)
            if any(self.atts[v].orphan and self.atts[v].owner == d.owner for v in cam.atts):
                return False
            cam.grants.add(d.owner)
            t.ops.append(ap.grant_add(cam.sid, d.owner))
            t.touched.add(cam.slot)
        self._move(t, d, cam)
        return True

    def ch_revoke(self, t, now):
        """A grant is revoked. As the control plane does, the grantee's
        viewers of the stream go in the same transaction; with probability
        orphan_fraction they stay attached (the gateway's per-packet owner
        check must stop them) and are deleted later."""
        for _ in range(20):
            cam = self.cams[self.rng.randint(1, len(self.cams))]
            if cam.alive and cam.grants:
                break
        else:
            return False
        owner = self.rng.choice(sorted(cam.grants))
        cam.grants.discard(owner)
        t.ops.append(ap.grant_del(cam.sid, owner))
        t.touched.add(cam.slot)
        keep = self.rng.random() < self.cfg.get('orphan_fraction', 0.1)
        for vid in [v for v in cam.atts if self.atts[v].owner == owner]:
            a = self.atts[vid]
            if keep and not a.orphan:
                d = self.displays[a.disp]
                if d.att == vid:
                    d.att = None
                a.orphan = True
                d.orphans[vid] = now
                self.orphan_q.append((now, vid))
            else:
                self._drop_att(t, vid)
        return True

    def ch_detach(self, t, now):
        d = self._display(attached=True)
        if d is None:
            return False
        self._drop_att(t, d.att)
        return True

    def ch_viewer_rekey(self, t, now):
        d = self._display(attached=True)
        if d is None:
            return False
        a = self.atts[d.att]
        key = new_key(a.suite)
        t.ops.append(ap.viewer_rekey(a.vid, a.suite, key))
        t.chk.append(('vkey', a.vid, key))
        return True

    def ch_stream_rekey(self, t, now):
        """Rekey with the old key kept; END_OVERLAP follows overlap seconds
        later (the sources switch key when they hear of the new one)."""
        cam = self._alive_cam()
        if cam is None or cam.overlap:
            return False
        key = new_key(cam.suite)
        cam.epoch += 1
        cam.overlap = True
        t.ops.append(ap.stream_rekey(cam.sid, cam.suite, key, keep_old=True))
        t.gen.append(('rekey', cam.slot, cam.inc, cam.epoch, key))
        self.overlaps.append((now, cam.slot, cam.inc))
        return True

    def ch_recreate(self, t, now):
        """A stream is deleted and made again (a new incarnation) on a port
        that has been free for the quarantine; the owner's displays that
        showed it show the new one."""
        cam = self._alive_cam()
        if cam is None or not self.ports or self.ports[0][0] + self.quarantine_ns > now:
            return False
        mine = [self.displays[self.atts[v].disp] for v in cam.atts
                if self.atts[v].owner == cam.owner and not self.atts[v].orphan]
        self._stream_down(t, cam)
        if not self._stream_up(t, cam, now):
            return True
        for d in mine:
            if d.att is None:
                self._attach(t, d, cam)
        return True

    # ---- time-driven changes ------------------------------------------------------
    def timed(self, t, now):
        ov = self.cfg.get('overlap', 0.5) * 1e9
        while self.overlaps and self.overlaps[0][0] + ov <= now:
            _, slot, inc = self.overlaps.popleft()
            cam = self.cams[slot]
            if cam.alive and cam.inc == inc and cam.overlap:
                cam.overlap = False
                t.ops.append(ap.stream_end_overlap(cam.sid))
                t.chk.append(('epoch_end', slot, inc, cam.epoch - 1))
                t.changes['end_overlap'] += 1
        orphan_ns = self.cfg.get('orphan_life', 0.3) * 1e9
        while self.orphan_q and self.orphan_q[0][0] + orphan_ns <= now:
            _, vid = self.orphan_q.popleft()
            if vid in self.atts:
                self._drop_att(t, vid)
                t.changes['orphan_delete'] += 1
        # owners: deleted at owner_churn per second, back after owner_dead s
        dead_ns = self.cfg.get('owner_dead', 0.5) * 1e9
        while self.dead_q and self.dead_q[0][0] + dead_ns <= now:
            since, oid = self.dead_q[0]
            if not self.owner_up(t, self.owners[oid], now):
                break
            self.dead_q.popleft()
            t.changes['owner_recreate'] += 1
        rate = self.cfg.get('owner_churn', 1.0)
        if self.last_owner_t is not None:
            self.owner_budget += (now - self.last_owner_t) / 1e9 * rate
        self.last_owner_t = now
        while self.owner_budget >= 1:
            self.owner_budget -= 1
            o = self._alive_owner()
            if o is None:
                break
            self.owner_down(t, o, now)
            t.changes['owner_delete'] += 1

    def owner_down(self, t, o, now):
        """Everything of owner o goes: its streams (their viewers with
        them), its displays' viewers elsewhere, the grants it holds."""
        for s in o.cams:
            if self.cams[s].alive:
                self._stream_down(t, self.cams[s])
        for i in o.displays:
            d = self.displays[i]
            for vid in list(d.orphans) + ([d.att] if d.att is not None else []):
                if vid in self.atts:
                    self._drop_att(t, vid)
        for cam in self.cams.values():
            if cam.alive and o.id in cam.grants:
                cam.grants.discard(o.id)
                t.ops.append(ap.grant_del(cam.sid, o.id))
                t.touched.add(cam.slot)
        o.alive, o.since = False, now
        self.dead_q.append((now, o.id))

    def owner_up(self, t, o, now):
        """Owner o comes back: new incarnations of its streams, its
        displays attached to them. Waits for enough free ports."""
        free = sum(1 for p in list(self.ports) if p[0] + self.quarantine_ns <= now)
        if free < len(o.cams):
            return False
        for s in o.cams:
            self._stream_up(t, self.cams[s], now)
        o.alive = True
        for i in o.displays:
            if self.rng.random() < 0.9:
                self._attach(t, self.displays[i], self.cams[self.rng.choice(o.cams)])
        return True

    # ---- transactions -------------------------------------------------------------
    def initial(self, now):
        """Every owner's streams, displays attached to their own streams
        (90%), and a tenth of them watching another owner's stream under a
        grant."""
        t = Txn()
        for cam in self.cams.values():
            if not self._stream_up(t, cam, now):
                raise RuntimeError('port pool too small')
        for d in self.displays:
            if self.rng.random() < 0.1:
                cam = self._alive_cam()
                if cam.owner != d.owner and (d.owner in cam.grants or len(cam.grants) < MAX_GRANTS):
                    if d.owner not in cam.grants:
                        cam.grants.add(d.owner)
                        t.ops.append(ap.grant_add(cam.sid, d.owner))
                    self._attach(t, d, cam)
                    continue
            if self.rng.random() < 0.9:
                self._attach(t, d, self.cams[self.rng.choice(self.owners[d.owner].cams)])
        self.finish(t)
        t.changes['initial'] += 1
        self.totals.update(t.changes)
        return t

    def build(self, n, now):
        """A transaction of n changes drawn from the mix, plus the
        time-driven ones that are due."""
        t = Txn()
        self.timed(t, now)
        fns = {k: getattr(self, 'ch_' + k) for k in self.mix_kinds}
        done, tries = 0, 0
        while done < n and tries < 4 * n + 20:
            tries += 1
            k = self.rng.choices(self.mix_kinds, self.mix_weights)[0]
            if fns[k](t, now):
                t.changes[k] += 1
                done += 1
        self.finish(t)
        self.totals.update(t.changes)
        return t

    def finish(self, t):
        """Authorisations that start or end with this transaction."""
        for slot in t.touched:
            cam = self.cams[slot]
            for vid in cam.atts:
                a = self.atts[vid]
                auth = cam.alive and (a.owner == cam.owner or a.owner in cam.grants)
                if auth != a.authorised:
                    a.authorised = auth
                    t.chk.append(('start' if auth else 'end', vid))

    def applied(self, t, r):
        """The gateway applied t (TxnResult r): ports freed by it start
        their quarantine at its t_end."""
        for p in t.freed_ports:
            self.ports.append((r.t_end, p))


def driver_main(sock_path, cfg, conn_chk, conn_gen, conn_main):
    """The churn driver process: initial state, then transactions paced to
    cfg['changes'] per second until conn_main says stop."""
    from isocommon import child_signals
    child_signals()
    try:
        _driver(sock_path, cfg, conn_main, conn_chk, conn_gen)
    except BaseException as e:
        import traceback
        conn_main.send(('error', 'driver: %s\n%s' % (e, traceback.format_exc())))
        raise SystemExit(1)


def _driver(sock_path, cfg, conn_main, conn_chk, conn_gen):
    """Two threads: this one builds transactions from the model, a
    committer sends them and reads the replies, so the gateway works on one
    while the next is being built. The committer timestamps the replies as
    they arrive (a short switch interval keeps the builder from delaying
    that: a late t_end would only make the check more permissive, never
    wrong, but less sharp)."""
    sys.setswitchinterval(0.0002)
    client = ap.AgentClient(sock_path)
    m = Model(cfg)
    stats = collections.Counter()
    lat = []
    q = queue.Queue(maxsize=1)
    failed = []
    # the checker may lag (it runs niced and catches up at the end): its
    # messages go through a queue of their own so that the churn never
    # waits for it
    to_chk = queue.Queue()

    def chk_sender():
        try:
            while True:
                msg = to_chk.get()
                conn_chk.send(msg)
                if msg[0] == 'final':
                    return
        except BaseException as e:
            failed.append(e)
    th_chk = threading.Thread(target=chk_sender, daemon=True)
    th_chk.start()

    def commit(t):
        r = client.transaction(t.ops, ctl_seq=stats['txns'] + 1)
        if r.status_version < r.version:
            raise AssertionError('HELLO after APPLIED reports version %d < %d' % (r.status_version, r.version))
        # one transaction, one version (this is the gateway's only client)
        if stats['version'] and r.version != stats['version'] + 1:
            raise AssertionError('transaction applied as version %d after %d' % (r.version, stats['version']))
        stats['version'] = r.version
        m.applied(t, r)
        stats['txns'] += 1
        stats['ops'] += len(t.ops)
        lat.append((r.t_end - r.t_commit) / 1e6)
        stats['commit_ns'] += r.t_end - r.t_commit
        # the generator acts on it (new streams, keys); the checker learns
        # the authorisations and their times, and may check everything
        # received before r.t_end
        if t.gen:
            conn_gen.send(('events', t.gen))
        to_chk.put(('txn', r.version, r.t_commit, r.t_applied, r.t_end, t.chk))
        return r

    def committer():
        try:
            while True:
                try:
                    t = q.get(timeout=0.01)
                except queue.Empty:
                    # nothing built, nothing in flight: a transaction
                    # committed from now on cannot matter to a packet
                    # received before now
                    to_chk.put(('wm', time.monotonic_ns()))
                    continue
                if t is None:
                    return
                commit(t)
        except BaseException as e:
            failed.append(e)

    t0 = time.monotonic_ns()
    commit(m.initial(t0))
    conn_main.send(('ready', stats['ops']))
    # churn starts when the main process says so (traffic flowing)
    msg = conn_main.recv()
    if msg[0] != 'go':
        return
    th = threading.Thread(target=committer, daemon=True)
    th.start()
    rate = cfg['changes']
    max_batch = cfg.get('max_batch', 4000)
    min_batch = max(1, int(rate / cfg.get('txn_per_s', 40)))
    start = time.monotonic_ns()
    done = 0
    last_report = start
    changes0 = sum(m.totals.values())
    commit0 = stats['commit_ns']
    while not failed:
        if conn_main.poll():
            msg = conn_main.recv()
            if msg[0] == 'stop':
                break
        now = time.monotonic_ns()
        owed = int((now - start) / 1e9 * rate) - done
        if owed > max_batch * 2:
            # the machine does not keep up: no catching up in one burst
            stats['behind'] += owed - max_batch
            done += owed - max_batch
            owed = max_batch
        if owed < min_batch:
            time.sleep(min(0.01, (min_batch - owed) / rate))
            continue
        n = min(owed, max_batch)
        t = m.build(n, now)
        done += n
        stats['build_ns'] += time.monotonic_ns() - now
        while not failed:
            try:
                q.put(t, timeout=0.1)
                break
            except queue.Full:
                pass
        if now - last_report > 2e9:
            last_report = now
            conn_main.send(('progress', {'changes': sum(m.totals.values()) - changes0}))
    q.put(None)
    th.join()
    if failed:
        raise failed[0]
    end = time.monotonic_ns()
    # no transaction will follow: the checker may decide everything
    to_chk.put(('final', end))
    secs = (end - start) / 1e9
    total = sum(m.totals.values()) - changes0
    lat.sort()
    conn_main.send(('done', {
        'seconds': secs, 'changes': total, 'changes_per_s': total / secs if secs else 0,
        'ops': stats['ops'], 'ops_per_s': stats['ops'] / secs if secs else 0,
        'txns': stats['txns'], 'by_kind': dict(m.totals), 'target_changes_per_s': rate,
        'behind': stats['behind'],
        'txn_latency_ms': {'median': lat[len(lat) // 2] if lat else 0,
                           'p99': lat[int(len(lat) * 0.99)] if lat else 0,
                           'max': lat[-1] if lat else 0},
        'build_s': stats['build_ns'] / 1e9, 'gateway_s': (stats['commit_ns'] - commit0) / 1e9,
        'cpu_s': sum(os.times()[:2]), 'checker_backlog_at_stop': to_chk.qsize(),
        'streams': len(m.cams), 'owners': len(m.owners), 'displays': len(m.displays),
        'attachments_made': m.next_vid - 1, 'stream_incarnations': m.next_sid - 1,
    }))
    th_chk.join()
    client.close()
