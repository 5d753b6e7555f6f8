"""The isolation scenario's WebRTC phase (docs/isolation.md, "WebRTC
displays"): after the churn, on the same gateway, WebRTC displays (aiortc,
webrtc_display.py) watch streams over WHEP beside SDES viewers, come and
go, lose a grant, are left attached as orphans behind srtpgw-control's
back, and one is refused another owner's stream; everything
the displays' host receives is captured on its wire and decrypted with the
key of the display (or SDES viewer) it was sent to, each display's keys
exported from its own DTLS session.

    sources ns (10.90.0.2) ── switch ── root ns: srtpgw (10.90.0.1)
                                │         srtpgw-control: the punt channel,
    displays ns ────────────────┘         HTTPS API on 10.85.0.1:8446
      10.90.2.1-4: the WebRTC displays      │
      10.90.2.100: the SDES viewers         │
      10.85.0.2 ── management veth ─────────┘
      capture: one AF_PACKET socket on the switch port

The churn driver talks to the agent socket itself; srtpgw-control, which
the WebRTC sessions need, replaces the gateway's whole state when it
connects (REPLACE_ALL). So this phase comes after the churn, with its own
owners, streams, grants and tokens made with srtpgwctl.

What the phase checks, for every SRTP and SRTCP packet captured towards
the displays' host (not what aiortc chose to keep: what arrived; the
sources' sender reports carry the marker in an APP packet):
  - it decrypts under a key of the display or SDES viewer at its
    destination (else: undecryptable; the checker knows every key that
    display ever had, so the bound is 0);
  - its marker names the stream of the session whose key decrypted it
    (else: wrong_context, the gateway used another viewer's context);
  - that stream's owner is the viewer's owner, or the viewer's owner held
    a grant on it: the packet was received after the grant's t_commit and
    sent before its t_end (else: not_authorised);
  - it was sent before the session's end: t_end is taken after the DELETE's
    200 (or srtpgwctl's reply to the revoke) and the reply to a HELLO on
    the agent socket sent after it, which the gateway answers only after
    the grace period of that change (docs/isolation.md, "The window")
    (else: outside_window); and received after the offer was posted;
  - it is no second copy with other bytes (the gateway protecting one
    packet twice); there is no impairment in this phase.
And the capture must hold every frame the gateway's workers sent during
the phase (their tx counters): what was checked is everything.
"""
import collections
import json
import os
import re
import select
import socket
import struct
import subprocess
import threading
import time

import agentproto as ap
from isocommon import GW_IP, MAGIC, MARKER
from srtpcheck import RtcpKey, RxKey, TxKey
from sgwtest import Control, run, veth, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
DISPLAY = os.path.join(HERE, 'webrtc_display.py')
PYTHON = '/usr/bin/python3'
MGMT_ROOT, MGMT_NS = '10.85.0.1', '10.85.0.2'
HTTP_PORT = 8446
PORT_RANGE = (40000, 40099)
DISPLAY_IPS = ['10.90.2.%d' % i for i in range(1, 5)]
SDES_IP = '10.90.2.100'
SDES_PORT_BASE = 50000
FP_RE = re.compile(r'SHA-256 fingerprint ([0-9A-F:]{95})')
ETH_P_IP = 0x0800
SO_RCVBUFFORCE = 33

# owners, their streams, a grant, the displays (owner, address)
OWNERS = ('wa', 'wb', 'wc')
STREAMS = (('a1', 'wa'), ('a2', 'wa'), ('b1', 'wb'), ('b2', 'wb'), ('c1', 'wc'))
GRANT = ('b1', 'wa')
ORPHAN = ('c1', 'wa')     # granted late, then withdrawn behind srtpgw-control's back
# what each owner may watch after the revoke (the rounds of switching)
ROUNDS = {'wa': ('a1', 'a2', 'c1'), 'wb': ('b1', 'b2'), 'wc': ('c1',)}
DISPLAYS = (('wa', DISPLAY_IPS[0]), ('wa', DISPLAY_IPS[1]), ('wb', DISPLAY_IPS[2]), ('wc', DISPLAY_IPS[3]))
INC = 0xffffffff        # the marker's incarnation field: this phase's streams


class Session:
    """One viewer of the phase as the checker knows it: a WebRTC session
    or an SDES viewer; its key; [t_post, t_end) in CLOCK_MONOTONIC ns."""

    def __init__(self, name, kind, owner, stream, dest, suite, key, t_post):
        self.name, self.kind, self.owner, self.stream, self.dest = name, kind, owner, stream, dest
        self.rx, self.rtcp = RxKey(suite, key), RtcpKey(suite, key)
        self.t_post, self.t_end = t_post, None
        self.checked = self.rtcp_checked = 0
        self.aiortc_rtp = self.aiortc_rtcp = None
        self.after_end = 0


class PhaseChecker:
    """Decides every captured packet (see the module's docstring)."""

    def __init__(self, stream_owner):
        self.stream_owner = stream_owner     # stream slot -> (name, owner)
        self.owner_of = {n: o for n, o in stream_owner.values()}
        self.by_dest = collections.defaultdict(list)   # display address or SDES (ip, port) -> [Session]
        self.grants = []                     # (stream, owner, t_start, t_end or None)
        self.c = collections.Counter()
        self.mis = collections.Counter()
        self.mis_at = collections.Counter()     # by the kind of viewer: webrtc, sdes
        self.samples = []
        self.seen = {}

    def add(self, sess):
        self.by_dest[sess.dest].append(sess)

    def allowed(self, owner, stream, t, r):
        """owner may watch stream for a packet sent at t, received at r:
        its own, or a grant it held: received after the grant's t_commit,
        sent before its t_end (docs/isolation.md, "The window")."""
        if self.owner_of[stream] == owner:
            return True
        return any(s == stream and o == owner and r >= t0 and (t1 is None or t < t1)
                   for s, o, t0, t1 in self.grants)

    def _sample(self, kind, **kw):
        if len(self.samples) < 20:
            kw['kind'] = kind
            self.samples.append(kw)

    def check(self, r, ip, port, pl):
        c = self.c
        c['frames'] += 1
        rtcp = len(pl) > 1 and 192 <= pl[1] <= 223
        cands = self.by_dest.get(ip) or self.by_dest.get((ip, port))
        if not cands:
            self.mis['unknown_destination'] += 1
            self.mis_at['nobody'] += 1
            self._sample('unknown_destination', ip=ip, port=port)
            return
        found = None
        for s in reversed(cands):
            plain = s.rtcp.unprotect(pl) if rtcp else s.rx.unprotect(pl, MARKER.size)
            if plain is not None:
                found = s
                break
        if found is None:
            c['undecryptable'] += 1
            self._sample('undecryptable', dest=ip, port=port, length=len(pl), r=r, rtcp=rtcp, head=pl[:16].hex())
            return
        s = found
        if rtcp:
            plain = app_marker(plain)
        if plain is None or len(plain) < MARKER.size or plain[:4] != MAGIC:
            c['no_marker'] += 1
            self._sample('no_marker', session=s.name, rtcp=rtcp)
            return
        _, flags, _, slot, inc, seq, t = MARKER.unpack_from(plain)
        if inc != INC or slot not in self.stream_owner:
            c['no_marker'] += 1
            self._sample('foreign_marker', session=s.name, slot=slot, inc=inc)
            return
        stream, _ = self.stream_owner[slot]
        c['checked'] += 1
        if rtcp:
            c['checked_rtcp'] += 1
            s.rtcp_checked += 1
        else:
            s.checked += 1
        bad = None
        if stream != s.stream:
            bad = 'wrong_context'
        elif not self.allowed(s.owner, stream, t, r):
            bad = 'not_authorised'
        elif s.t_end is not None and t >= s.t_end:
            bad = 'outside_window'
        elif r < s.t_post:
            bad = 'before_offer'
        if bad:
            self.mis[bad] += 1
            self.mis_at[s.kind] += 1
            self._sample(bad, session=s.name, owner=s.owner, attached=s.stream, marker_stream=stream, seq=seq,
                         t=t, r=r, t_end=s.t_end, rtcp=rtcp)
        elif s.t_end is not None and r >= s.t_end:
            s.after_end += 1
            c['arrived_after_end'] += 1
        k = (s.name, rtcp, slot, seq)
        prev = self.seen.get(k)
        if prev is None:
            self.seen[k] = pl
        elif prev == pl:
            c['duplicates_network'] += 1
        else:
            c['duplicates_gateway'] += 1
            self._sample('duplicate_gateway', session=s.name, stream=stream, seq=seq, rtcp=rtcp)


APP_NAME = b'SGWI'


def sender_report(ssrc, slot, n, rtp_ts, sent):
    """A camera's RTCP: a sender report and an APP packet ('SGWI') whose
    data is the marker (the n-th report of stream slot), which the gateway
    forwards as it is (it rewrites the SSRCs only)."""
    now = time.time()
    ntp = (int(now) + 2208988800) << 32 | int((now % 1) * (1 << 32))
    sr = struct.pack('!BBHIQIII', 0x80, 200, 6, ssrc, ntp, rtp_ts, sent, sent * 48)
    body = MARKER.pack(MAGIC, 0, 0, slot, INC, n, time.monotonic_ns())
    app = struct.pack('!BBHI4s', 0x80, 204, (12 + len(body)) // 4 - 1, ssrc, APP_NAME) + body
    return sr + app


def app_marker(compound):
    """The data of the compound's APP packet named SGWI, or None."""
    off = 0
    while off + 4 <= len(compound):
        plen = 4 * (int.from_bytes(compound[off + 2:off + 4], 'big') + 1)
        if compound[off + 1] == 204 and compound[off + 8:off + 12] == APP_NAME:
            return compound[off + 12:off + plen]
        off += plen
    return None


class Sources(threading.Thread):
    """Marked SRTP to every stream of the phase at `rate` packets a second
    each, and a marked sender report (SRTCP) with every tenth, from a
    socket in the sources' namespace (pacing: sleeps)."""

    def __init__(self, sock, streams, rate):
        super().__init__(daemon=True)
        self.sock, self.rate = sock, rate
        # slot, (ip, port), TxKey, RtcpKey, ssrc
        self.streams = [(slot, dest, TxKey(suite, key), RtcpKey(suite, key), 0x5a000000 + slot)
                        for slot, dest, suite, key in streams]
        self.sent = self.rounds = self.reports = 0
        self.error = None
        self._halt = threading.Event()

    def run(self):
        try:
            seq, t = 1, time.monotonic()
            while not self._halt.is_set():
                for slot, dest, tx, rtcp, ssrc in self.streams:
                    body = MARKER.pack(MAGIC, 0, 0, slot, INC, seq, time.monotonic_ns()) + bytes(16)
                    hdr = struct.pack('!BBHII', 0x80, 96, seq & 0xffff, (seq * 3000) & 0xffffffff, ssrc)
                    self.sock.sendto(tx.protect(hdr + body, seq), dest)
                    self.sent += 1
                    if seq % 10 == 0:
                        # a sender report every tenth packet, on the
                        # listen port (rtcp-mux)
                        n = seq // 10
                        self.sock.sendto(rtcp.protect(sender_report(ssrc, slot, n, (seq * 3000) & 0xffffffff,
                                                                    seq), n), dest)
                        self.reports += 1
                seq += 1
                self.rounds += 1
                t += 1.0 / self.rate
                d = t - time.monotonic()
                if d > 0:
                    self._halt.wait(d)   # pacing, not synchronisation
                else:
                    t = time.monotonic()
        except Exception as e:  # reported by stop()
            self.error = e

    def stop(self):
        self._halt.set()
        self.join(10)
        self.sock.close()
        if self.error:
            raise self.error


class Capture(threading.Thread):
    """Everything the displays' host receives on its switch port (one
    AF_PACKET socket: what reached the wire, whatever aiortc then did with
    it): SRTP/SRTCP datagrams (RFC 7983: first byte 128-191) to its
    addresses, with the time they were read; STUN and DTLS counted."""

    def __init__(self, ns, ifname, addrs):
        super().__init__(daemon=True)
        with ns.inside():
            self.s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
        self.s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        self.s.bind((ifname, ETH_P_IP))
        self.addrs = {socket.inet_aton(a): a for a in addrs}
        self.records = []
        self.other = collections.Counter()
        self.n = 0
        self.error = None
        self._halt = threading.Event()

    def run(self):
        try:
            while not self._halt.is_set():
                r, _, _ = select.select([self.s], [], [], 0.05)
                if not r:
                    continue
                data, addr = self.s.recvfrom(65535)
                now = time.monotonic_ns()
                # PACKET_HOST, IPv4 (after the Ethernet header), UDP
                if addr[2] != 0 or len(data) < 42 or data[12:14] != b'\x08\x00' or data[23] != 17:
                    continue
                ip = self.addrs.get(data[30:34])
                if ip is None:
                    continue
                u = 14 + (data[14] & 0x0f) * 4
                port = int.from_bytes(data[u + 2:u + 4], 'big')
                pl = data[u + 8:u + int.from_bytes(data[u + 4:u + 6], 'big')]
                if pl and 127 < pl[0] < 192:
                    self.records.append((now, ip, port, pl))
                    self.n += 1
                elif pl and pl[0] < 4:
                    self.other['stun'] += 1
                elif pl and 19 < pl[0] < 64:
                    self.other['dtls'] += 1
                else:
                    self.other['other'] += 1
        except Exception as e:
            self.error = e

    def stop(self):
        self._halt.set()
        self.join(10)
        self.s.close()
        if self.error:
            raise self.error


class DisplayProc:
    """One webrtc_display.py in the displays' namespace: commands out,
    one JSON reply each. Its replies carry keys: never printed."""

    def __init__(self, res, ns, idx, owner, addr, pin, logdir):
        self.idx, self.owner, self.addr = idx, owner, addr
        self.name = 'display%d' % idx
        self.log = os.path.join(logdir, self.name + '.log')
        with open(self.log, 'w') as err:
            self.p = ns.popen(PYTHON, DISPLAY, '--address', addr, '--pin', pin, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=err, text=True)
        res.add(self._stop)
        self.sessions = []

    def send(self, **cmd):
        self.p.stdin.write(json.dumps(cmd) + '\n')
        self.p.stdin.flush()

    def reply(self, timeout=40):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        line = self.p.stdout.readline() if r else ''
        if not line:
            raise AssertionError('%s: no reply within %ds (exit %s):\n%s' % (
                self.name, timeout, self.p.poll(), self.read_log()))
        out = json.loads(line)
        if 'error' in out:
            raise AssertionError('%s: %s\n%s' % (self.name, out['error'], self.read_log()))
        return out

    def call(self, timeout=40, **cmd):
        self.send(**cmd)
        return self.reply(timeout)

    def read_log(self):
        with open(self.log) as f:
            return f.read()[-4000:]

    def _stop(self):
        if self.p.poll() is None:
            try:
                self.p.stdin.write('{"cmd": "quit"}\n')
                self.p.stdin.flush()
                self.p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()


def run_phase(res, cfg, gw, agent, sw, src, say):
    """The WebRTC phase on gateway gw (whose churn is over): returns its
    report. Everything it makes is registered with res."""
    from scenario import _port
    t0 = time.monotonic()
    rep = {'displays': len(DISPLAYS), 'streams': len(STREAMS), 'owners': len(OWNERS)}
    disp = _ns(res)
    disp_if, _ = _port(res, sw, disp, [a + '/16' for a in DISPLAY_IPS] + [SDES_IP + '/16'])
    root_if, _ = veth(res, disp, [MGMT_NS + '/24'])
    run('ip', 'addr', 'add', MGMT_ROOT + '/24', 'dev', root_if)
    control = Control(res, gw, [GW_IP], name='control-webrtc', extra_config=(
        'http_listen = "%s:%d";\nport_range = [ %d, %d ];\n' % ((MGMT_ROOT, HTTP_PORT) + PORT_RANGE))).start()
    control.wait_applied()
    wait_for(lambda: 'punt socket' in control.read_log(), what='the punt channel')
    pin = FP_RE.findall(control.read_log())[-1]
    ctl = control.ctl

    def url(stream):
        return 'https://%s:%d/whep/%s' % (MGMT_ROOT, HTTP_PORT, stream)

    def t_end():
        # the change is applied (the reply came after APPLIED); the agent
        # answers this HELLO only after that change's grace period
        agent.hello()
        return time.monotonic_ns()

    # owners, streams, the grant, tokens, SDES viewers beside the displays
    for o in OWNERS:
        ctl('owner', 'add', o)
    tokens = {o: ctl('token', 'add', '--owner', o)['token'] for o in OWNERS}
    slots, srcs = {}, []
    for slot, (name, owner) in enumerate(STREAMS):
        st = ctl('stream', 'add', name, '--owner', owner, '--codec', 'VP8', '--pt', '96')
        host, port = st['listen'].rsplit(':', 1)
        slots[slot] = (name, owner)
        srcs.append((slot, (host, int(port)), st['suite'], _b64(st['key'])))
    ck = PhaseChecker(slots)
    grant = [GRANT[0], GRANT[1], time.monotonic_ns(), None]
    ctl('grant', 'add', GRANT[0], '--to', GRANT[1])
    ck.grants.append(grant)
    sdes = []
    for i, (stream, owner) in enumerate(list(STREAMS) + [GRANT]):
        name = 'sdes-%s-%s' % (owner, stream)
        t = time.monotonic_ns()
        v = ctl('viewer', 'add', name, '--stream', stream, '--owner', owner,
                '--to', '%s:%d' % (SDES_IP, SDES_PORT_BASE + i))
        s = Session(name, 'sdes', owner, stream, (SDES_IP, SDES_PORT_BASE + i), v['suite'], _b64(v['key']), t)
        ck.add(s)
        sdes.append(s)
    rep['sdes_viewers'] = len(sdes)

    tx0 = [w['tx'] for w in agent.worker_stats()[:-1]]
    cap = Capture(disp, disp_if, DISPLAY_IPS + [SDES_IP])
    cap.start()
    res.add(cap.stop)
    sources = Sources(src.socket(), srcs, cfg.get('webrtc_rate', 100))
    sources.start()
    res.add(sources.stop)
    displays = [DisplayProc(res, disp, i, o, a, pin, control.dir) for i, (o, a) in enumerate(DISPLAYS)]

    sessions = []

    def attach(d, stream, expect=201):
        d.send(cmd='attach', url=url(stream), token=tokens[d.owner])
        return (d, stream, expect)

    def attached(pending):
        out = []
        for d, stream, expect in pending:
            r = d.reply()
            if r['status'] != expect:
                raise AssertionError('%s (%s) on %s: %d, expected %d: %s' % (
                    d.name, d.owner, stream, r['status'], expect, r.get('reason')))
            if expect == 201:
                s = Session('%s:%s' % (d.name, r['location'].rsplit('/', 1)[1][:8]), 'webrtc', d.owner, stream,
                            d.addr, r['suite'], bytes.fromhex(r['rx_key']), r['t_post'])
                s.display = d
                ck.add(s)
                d.sessions.append(s)
                sessions.append(s)
                out.append(s)
        return out

    def watching(ss, n=150, timeout=20):
        """Until aiortc has decrypted n packets in each of these sessions."""
        def enough():
            return all(s.display.call(cmd='stats')['rtp'] >= n for s in ss)
        wait_for(enough, timeout, 'WebRTC displays receiving', interval=0.1)

    def detach(s):
        r = s.display.call(cmd='detach')
        s.t_end = t_end()
        s.aiortc_rtp, s.aiortc_rtcp = r['rtp'], r['rtcp']
        return r

    # another owner's stream: 403, nothing made
    before = _snapshot(ctl, gw)
    attached([attach(displays[3], 'a1', 403)])
    rep['refused_403'] = 1
    after = _snapshot(ctl, gw)
    if before != after:
        raise AssertionError('a refused WHEP offer changed something: %s -> %s' % (before, after))

    # everyone watches: d0 its owner's a1, d1 b1 by wa's grant, d2 b2, d3 c1
    first = attached([attach(displays[0], 'a1'), attach(displays[1], 'b1'), attach(displays[2], 'b2'),
                      attach(displays[3], 'c1')])
    watching(first)
    say('  WebRTC phase: 4 displays watching, a 403 refused')
    rep['webrtc_sessions_live_max'] = ctl('status')['webrtc']['sessions']
    # two displays switch streams: d0 to a2, d2 to b1 (beside wa's d1)
    for s in (first[0], first[2]):
        if detach(s)['status'] != 200:
            raise AssertionError('DELETE of %s' % s.name)
    second = attached([attach(displays[0], 'a2'), attach(displays[2], 'b1')])
    watching(second)
    # wb withdraws wa's grant on b1: wa's display there (and its SDES
    # viewer) go in that change; the session ends with a close_notify
    t_revoke = time.monotonic_ns()
    ctl('grant', 'del', GRANT[0], '--to', GRANT[1])
    te = t_end()
    grant[3] = te
    revoked = first[1]
    revoked.t_end = te
    for s in sdes:
        if (s.stream, s.owner) == GRANT:
            s.t_end = te
    left = [v['name'] for v in ctl('viewer', 'show')['viewers'] if (v['stream'], v['owner']) == GRANT]
    if left:
        raise AssertionError('viewers of %s by %s after the revoke: %s' % (GRANT + (left,)))
    c = displays[1].call(cmd='closed', timeout=5)
    if not c['closed']:
        raise AssertionError('the session whose grant went was not ended by the gateway: %s' % c)
    rep['revoked_session_closed_after_s'] = (c['t_closed'] - t_revoke) / 1e9
    r = displays[1].call(cmd='detach')
    revoked.aiortc_rtp, revoked.aiortc_rtcp = r['rtp'], r['rtcp']
    rep['revoked_session_delete_status'] = r['status']
    # wa's display goes back to its own a1
    third = attached([attach(displays[1], 'a1')])
    watching(second + third + [first[3]])
    # an orphan, as the churn makes them: wc grants c1 to wa, wa's display0
    # (and an SDES viewer of wa) watch it; then the grant goes on the agent
    # socket itself, leaving both attached (srtpgw-control would have
    # deleted them in the same change). The per-packet owner check must
    # stop them: every packet of c1 sent after that change's t_end and
    # decrypted under their keys is a misdelivery (not_authorised).
    orphan_grant = [ORPHAN[0], ORPHAN[1], time.monotonic_ns(), None]
    ctl('grant', 'add', ORPHAN[0], '--to', ORPHAN[1])
    ck.grants.append(orphan_grant)
    name = 'sdes-%s-%s' % (ORPHAN[1], ORPHAN[0])
    t = time.monotonic_ns()
    v = ctl('viewer', 'add', name, '--stream', ORPHAN[0], '--owner', ORPHAN[1],
            '--to', '%s:%d' % (SDES_IP, SDES_PORT_BASE + len(sdes)))
    s = Session(name, 'sdes', ORPHAN[1], ORPHAN[0], (SDES_IP, SDES_PORT_BASE + len(sdes)), v['suite'],
                _b64(v['key']), t)
    ck.add(s)
    sdes.append(s)
    old = gw.viewers()
    d0 = second[0]
    if detach(d0)['status'] != 200:
        raise AssertionError('DELETE of %s' % d0.name)
    fourth = attached([attach(displays[0], ORPHAN[0])])
    watching(fourth)
    new = [v for k, v in gw.viewers().items() if k not in old]
    if len(new) != 1:
        raise AssertionError('the orphan-to-be: %d new gateway viewers' % len(new))
    c0 = agent.counters()
    st = agent.hello()
    r = agent.transaction([ap.grant_del(new[0]['stream'], new[0]['owner'])], ctl_seq=st['ctl_seq'])
    orphan_grant[3] = r.t_end
    # the orphans are sent a second of their stream's packets (the sources'
    # progress, not a sleep), which the gateway must drop
    n0 = sources.rounds
    wait_for(lambda: sources.rounds >= n0 + cfg.get('webrtc_rate', 100), 10, 'the sources to go on')
    rep['orphan_drop_owner_mismatch'] = agent.counters().get('drop_owner_mismatch', 0) - \
        c0.get('drop_owner_mismatch', 0)
    # the grant back, on the agent socket too: srtpgw-control still has it
    # and its next changes may state it again; authorised from its
    # t_commit on (by arrival)
    ck.grants.append([ORPHAN[0], ORPHAN[1], None, None])
    r = agent.transaction([ap.grant_add(new[0]['stream'], new[0]['owner'])], ctl_seq=st['ctl_seq'])
    ck.grants[-1][2] = r.t_commit
    rep['orphans'] = 2
    # srtpgw-control notices another writer at its next change and then
    # pushes its whole state; until that push it takes changes without
    # pushing them, and answers a WHEP DELETE 202 (not applied yet).
    # Make that change now and wait for the push, so that every later
    # DELETE is answered 200, an applied change, whose time the checker takes.
    syncs = control.read_log().count('gateway in sync at change')
    ctl('owner', 'add', 'wresync')
    wait_for(lambda: control.read_log().count('gateway in sync at change') > syncs, 20,
             'srtpgw-control to push its whole state again')
    control.wait_applied()
    say('  WebRTC phase: switched, revoked, orphaned')
    # rounds of switching: all four displays leave their streams at once
    # and take the next one their owner may watch, while packets flow
    rounds = rep['rounds'] = cfg.get('webrtc_rounds', 3)
    for _ in range(rounds):
        cur = [d.sessions[-1] for d in displays]
        for s in cur:
            s.display.send(cmd='detach')
        outs = [s.display.reply() for s in cur]
        te = t_end()
        for s, o in zip(cur, outs):
            if o['status'] != 200:
                raise AssertionError('DELETE of %s: %d' % (s.name, o['status']))
            s.t_end, s.aiortc_rtp, s.aiortc_rtcp = te, o['rtp'], o['rtcp']
        nxt = []
        for s in cur:
            mine = ROUNDS[s.owner]
            nxt.append(attach(s.display, mine[(mine.index(s.stream) + 1) % len(mine)]))
        watching(attached(nxt), n=50)
    # the end: every display leaves, then the sources stop
    for s in sessions:
        if s.t_end is None:
            detach(s)
    sources.stop()
    rep['sources_sent'] = sources.sent
    # drain: the gateway's counters stop moving (nothing left in its
    # queues), then the capture has read everything the wire brought
    last = {}

    def drained():
        ws = agent.worker_stats()[:-1]
        now = (sum(w['rx'] for w in ws), sum(w['tx'] for w in ws), cap.n)
        last['same'] = last.get('same', 0) + 1 if last.get('v') == now else 0
        last['v'] = now
        return last['same'] >= 3
    wait_for(drained, 10, 'the displays\' traffic to drain', interval=0.1)
    cap.stop()
    # what the workers sent in the phase: media to its viewers, nothing
    # else (the agent thread, last, sends STUN, DTLS and ARP)
    rep['gateway_sent'] = sum(w['tx'] - t for w, t in zip(agent.worker_stats()[:-1], tx0))
    for r_, ip, port, pl in cap.records:
        ck.check(r_, ip, port, pl)
    rc = control.stop()
    if rc != 0:
        raise AssertionError('srtpgw-control exit %d:\n%s' % (rc, control.read_log()))
    for d in displays:
        d._stop()

    rep.update({
        'sessions': [{'name': s.name, 'kind': s.kind, 'owner': s.owner, 'stream': s.stream, 'checked': s.checked,
                      'aiortc_rtp': s.aiortc_rtp, 'rtcp_checked': s.rtcp_checked, 'aiortc_rtcp': s.aiortc_rtcp,
                      'arrived_after_end': s.after_end} for s in sessions + sdes],
        'webrtc_sessions': len(sessions), 'sdes_viewers': len(sdes),
        'frames': ck.c['frames'], 'checked': ck.c['checked'],
        'checked_webrtc': sum(s.checked for s in sessions), 'checked_sdes': sum(s.checked for s in sdes),
        'misdeliveries': sum(ck.mis.values()), 'misdelivery_kinds': dict(ck.mis),
        'misdeliveries_webrtc': ck.mis_at['webrtc'], 'misdeliveries_sdes': ck.mis_at['sdes'],
        'undecryptable': ck.c['undecryptable'], 'no_marker': ck.c['no_marker'],
        'checked_rtcp': ck.c['checked_rtcp'], 'reports_sent': sources.reports,
        'duplicates_network': ck.c['duplicates_network'], 'duplicates_gateway': ck.c['duplicates_gateway'],
        'arrived_after_end': ck.c['arrived_after_end'], 'capture_other': dict(cap.other),
        'samples': ck.samples, 'seconds': time.monotonic() - t0,
    })
    f = rep['failures'] = []
    if rep['misdeliveries']:
        f.append('WebRTC phase: %d misdeliveries %s' % (rep['misdeliveries'], rep['misdelivery_kinds']))
    if rep['undecryptable'] or rep['no_marker']:
        f.append('WebRTC phase: %d undecryptable, %d without a marker' % (rep['undecryptable'], rep['no_marker']))
    if rep['duplicates_gateway']:
        f.append('WebRTC phase: %d packets protected twice' % rep['duplicates_gateway'])
    if rep['frames'] != rep['gateway_sent']:
        f.append('WebRTC phase: the capture has %d SRTP frames, the gateway\'s workers sent %d' % (
            rep['frames'], rep['gateway_sent']))
    for s in sessions + sdes:
        if s.checked == 0:
            f.append('WebRTC phase: %s (%s on %s) received nothing' % (s.name, s.owner, s.stream))
        elif s.aiortc_rtp is not None and s.aiortc_rtp > s.checked:
            f.append('WebRTC phase: aiortc decrypted %d in %s, the capture %d' % (s.aiortc_rtp, s.name, s.checked))
        if s.rtcp_checked == 0:
            f.append('WebRTC phase: %s (%s on %s) received no sender report' % (s.name, s.owner, s.stream))
        elif s.aiortc_rtcp is not None and s.aiortc_rtcp > s.rtcp_checked:
            f.append('WebRTC phase: aiortc decrypted %d SRTCP in %s, the capture %d' % (
                s.aiortc_rtcp, s.name, s.rtcp_checked))
    return rep


def _ns(res):
    from sgwtest import NetNS
    ns = NetNS(res)
    for k in ('all', 'default'):
        ns.run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % k, check=False)
    return ns


def _b64(s):
    import base64
    return base64.b64decode(s)


def _snapshot(ctl, gw):
    return {'viewers': len(ctl('viewer', 'show')['viewers']), 'sessions': ctl('status')['webrtc']['sessions'],
            'gateway_viewers': len(gw.viewers())}
