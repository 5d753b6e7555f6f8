"""A real browser through srtpgw: Debian's chromium, headless, in the test's
network namespace, watching SDES cameras (ffmpeg, VP8) and a WHIP camera
(aiortc) over WHEP with the sample page docs/webrtc-viewer.html.

Web security is on: the page comes from a server of another origin (a
python http.server in a namespace of its own, http://10.73.0.1:8080), so
every request to the API (https://10.72.0.1:8445) meets real CORS, its
preflight included. The API's self-signed certificate is trusted by its
public key only (--ignore-certificate-errors-spki-list). The test reads the
decoded picture (a pixel of the video drawn into a canvas) and getStats()
from the page over the DevTools protocol (tests/lib/browser.py).

    media       10.71.0.0/24   gateway .1 (net_af_packet), namespace .2
    management  10.72.0.0/24   srtpgw-control's HTTPS .1 (root), namespace .2
    pages       10.73.0.0/24   page server .1 (its own namespace), namespace .2
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from browser import Browser, spki_sha256  # noqa: E402
from ctltest import ControlCase  # noqa: E402
from media import FFMPEG, stop  # noqa: E402
from sgwtest import NetNS, addressed_link, counter_deltas, uniq, wait_for  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = os.path.join(TOP, 'docs')
PEER = os.path.join(TOP, 'tests', 'lib', 'webrtc_peer.py')
GW4, PEER4 = '10.71.0.1', '10.71.0.2'
MGMT_ROOT, MGMT_NS = '10.72.0.1', '10.72.0.2'
PAGE_SRV, PAGE_NS = '10.73.0.1', '10.73.0.2'
HTTP_PORT, PAGE_PORT, OTHER_PORT = 8445, 8080, 8081
API = 'https://%s:%d' % (MGMT_ROOT, HTTP_PORT)
ORIGIN = 'http://%s:%d' % (PAGE_SRV, PAGE_PORT)
OTHER_ORIGIN = 'http://%s:%d' % (PAGE_SRV, OTHER_PORT)  # the same page, an origin the API does not allow
FP_RE = re.compile(r'SHA-256 fingerprint ([0-9A-F:]{95})')
SPKI_RE = re.compile(r'public key \(SPKI\) SHA-256 ([A-Za-z0-9+/=]{44})')


def is_red(rgb):
    return rgb is not None and rgb[0] > 170 and rgb[1] < 80 and rgb[2] < 80


def is_blue(rgb):
    return rgb is not None and rgb[2] > 170 and rgb[0] < 80 and rgb[1] < 80


def is_green(rgb):
    return rgb is not None and rgb[1] > 150 and rgb[0] < 80 and rgb[2] < 80


class Browsers(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = ('http_listen = "%s:%d";\nhttp_cors_origins = [ "%s" ];\nport_range = [ 41000, 41999 ];\n'
                      % (MGMT_ROOT, HTTP_PORT, ORIGIN))

    @classmethod
    def prepare(cls):
        # the management network: the daemon's HTTPS on the root end
        addressed_link(cls.res, None, MGMT_ROOT + '/24', cls.ns, MGMT_NS + '/24', 'sbm')
        # the page server: a namespace of its own, another origin than the API
        cls.pages = NetNS(cls.res, uniq('sgwbpage'))
        addressed_link(cls.res, cls.pages, PAGE_SRV + '/24', cls.ns, PAGE_NS + '/24', 'sbp')
        for port in (PAGE_PORT, OTHER_PORT):
            srv = cls.pages.popen('/usr/bin/python3', '-m', 'http.server', '--bind', PAGE_SRV, '--directory', DOCS,
                                  str(port), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
            cls.res.add(stop, srv, 0)

        def serving(port):
            s = cls.ns.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(1)
            try:
                s.connect((PAGE_SRV, port))
                return True
            except OSError:
                return False
            finally:
                s.close()
        for port in (PAGE_PORT, OTHER_PORT):
            wait_for(lambda: serving(port), 20, 'the page server on port %d' % port, interval=0.05)

    @classmethod
    def ready(cls):
        super().ready()
        log = cls.control.read_log()
        cls.pin = FP_RE.findall(log)[-1]
        # the certificate's public key, by openssl from the file the daemon
        # keeps it in, and as the daemon logs it
        cls.spki = spki_sha256(os.path.join(cls.control.dir, 'http-selfsigned.pem'))
        assert SPKI_RE.findall(log)[-1] == cls.spki, (SPKI_RE.findall(log), cls.spki)
        wait_for(lambda: 'punt socket' in cls.control.read_log(), what='the punt channel')
        for o in ('alice', 'bob'):
            cls.control.ctl('owner', 'add', o)
        cls.alice = cls.control.ctl('token', 'add', '--owner', 'alice')['token']
        cls.bob = cls.control.ctl('token', 'add', '--owner', 'bob')['token']
        # the SDES cameras: alice's red, bob's blue
        cls.sdes_camera('alice-cam', 'alice', 'red')
        cls.sdes_camera('bob-cam', 'bob', 'blue')

    @classmethod
    def sdes_camera(cls, name, owner, colour):
        """ffmpeg in the namespace: VP8 of one colour, a keyframe a second,
        SRTP to the stream's listen port, for the whole class."""
        st = cls.control.ctl('stream', 'add', name, '--owner', owner, '--codec', 'VP8', '--pt', '96')
        host, port = st['listen'].rsplit(':', 1)
        cmd = FFMPEG + ['-re', '-f', 'lavfi', '-i', 'color=c=%s:size=320x240:rate=30' % colour,
                        '-t', '900', '-c:v', 'libvpx', '-deadline', 'realtime', '-g', '30', '-b:v', '300k',
                        '-f', 'rtp', '-payload_type', '96', '-srtp_out_suite', st['suite'],
                        '-srtp_out_params', st['key'], 'srtp://%s:%s' % (host, port)]
        p = cls.ns.popen(*cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cls.res.add(stop, p, 0)

    def setUp(self):
        # what the test before ended (a DELETE answered 202, a stream
        # deleted with its WHIP session) has been applied, so that made()
        # sees only what this test does
        def quiet():
            self.control.wait_applied()
            streams = self.ctl('stream', 'show')['streams']
            sessions = len(self.webrtc_viewers()) + sum('publisher' in s for s in streams)
            return self.ctl('status')['webrtc']['sessions'] == sessions
        wait_for(quiet, timeout=30, what='the sessions of the tests before to end')

    # ---- helpers -------------------------------------------------------------
    def browser(self, name):
        """A chromium of the test's own, killed (its whole group) at the end
        of the test, also on failure; its session DELETEd first if it can."""
        b = Browser(self.ns, spki=[self.spki], name=name).start()
        self.addCleanup(b.close)
        self.addCleanup(self.goodbye, b)
        return b

    @staticmethod
    def goodbye(b):
        if b.proc.poll() is None:
            try:
                b.evaluate('window.srtpgw ? srtpgw.stop() : null', timeout=10)
            except Exception:  # noqa: BLE001 the browser may be the problem
                pass

    def watch(self, b, stream, token, origin=ORIGIN):
        """Open the sample page (from origin) in b for stream with token;
        returns once its offer was answered (or refused): the page's
        state."""
        url = '%s/webrtc-viewer.html#api=%s&stream=%s&token=%s' % (origin, API, stream, token)
        b.open(url, ready='window.srtpgw !== undefined')
        return b.wait('srtpgw.state.answered_ms !== null || srtpgw.state.status === "failed" ? srtpgw.state : null',
                      timeout=30, what='the answer to the offer')

    def decoding(self, b, frames=10, timeout=30):
        """Until the page decoded frames frames, a keyframe among them, and
        shows a picture: (stats, colour)."""
        st = b.wait('srtpgw.stats().then(s => s && s.framesDecoded >= %d && s.keyFramesDecoded >= 1 '
                    '&& srtpgw.colour() ? s : null)' % frames, timeout=timeout, what='%d frames decoded' % frames)
        return st, b.evaluate('srtpgw.colour()')

    def made(self):
        """What a WebRTC request could make: the WebRTC viewers (name,
        state), the sessions, the gateway's viewers."""
        return ({(v['name'], v['state']) for v in self.webrtc_viewers()},
                self.ctl('status')['webrtc']['sessions'], set(self.gw.viewers()))

    def webrtc_viewers(self, stream=None):
        return [v for v in self.ctl('viewer', 'show')['viewers']
                if v['kind'] == 'webrtc' and (stream is None or v['stream'] == stream)]

    def viewer_of(self, state):
        return 'webrtc-' + state['session'].rsplit('/', 1)[1]

    def gw_viewer(self, before):
        """The gateway's id of the one viewer it has that it had not in
        before (a set of ids)."""
        new = wait_for(lambda: set(self.gw.viewers()) - before, what='a new viewer in the gateway')
        self.assertEqual(len(new), 1, new)
        return new.pop()

    # ---- tests ---------------------------------------------------------------
    def test_two_owners_see_their_own_cameras(self):
        """alice's page decodes alice's red camera, bob's page bob's blue
        one; each a live WebRTC viewer of its owner's stream."""
        a, b = self.browser('alice'), self.browser('bob')
        sa = self.watch(a, 'alice-cam', self.alice)
        sb = self.watch(b, 'bob-cam', self.bob)
        self.assertEqual((sa['http'], sb['http']), (201, 201), (sa, sb))
        (st_a, rgb_a), (st_b, rgb_b) = self.decoding(a), self.decoding(b)
        print('alice: %s %s; bob: %s %s' % (rgb_a, st_a, rgb_b, st_b))
        self.assertTrue(is_red(rgb_a), rgb_a)
        self.assertTrue(is_blue(rgb_b), rgb_b)
        for st in (st_a, st_b):
            self.assertGreaterEqual(st['framesDecoded'], 10, st)
            self.assertGreaterEqual(st['keyFramesDecoded'], 1, st)
            self.assertEqual((st['frameWidth'], st['frameHeight']), (320, 240), st)
        # media starts once DTLS is done, before the browser nominates
        # (docs/webrtc.md): Chromium's nomination may come a second later
        names = [self.viewer_of(st) for st in (sa, sb)]

        def nominated():
            shown = {v['name']: v for v in self.webrtc_viewers()}
            return shown if all(shown.get(n, {}).get('ice') == 'connected' for n in names) else None
        shown = wait_for(nominated, 10, 'both browsers to nominate', interval=0.05)
        for state, stream, owner in ((sa, 'alice-cam', 'alice'), (sb, 'bob-cam', 'bob')):
            v = shown[self.viewer_of(state)]
            self.assertEqual((v['stream'], v['owner'], v['state'], v['ice'], v['dtls']),
                             (stream, owner, 'live', 'connected', 'connected'), v)
            self.assertEqual(v['to'].split(':')[0], PEER4)

    def test_bobs_token_on_alices_stream(self):
        """Bob's token on alice's stream, from a page of another origin:
        403 with its reason (readable by the page: CORS on errors), and
        nothing made."""
        b = self.browser('bob')
        before = self.made()
        st = self.watch(b, 'alice-cam', self.bob)
        self.assertEqual(st['http'], 403, st)
        self.assertEqual(st['status'], 'failed', st)
        self.assertIn('permission denied: owner bob may not view stream alice-cam', st['error'])
        self.assertIsNone(st['session'])
        self.assertEqual(self.made(), before)
        self.assertEqual([v for v in self.ctl('viewer', 'show')['viewers'] if v['owner'] == 'bob'
                          and v['stream'] == 'alice-cam'], [])

    def test_page_of_another_origin(self):
        """The same page from an origin the API does not allow
        (http_cors_origins): the browser's preflight is refused (403), so
        the page's request fails before it is sent, and nothing is made."""
        b = self.browser('other')
        before = self.made()
        st = self.watch(b, 'alice-cam', self.alice, origin=OTHER_ORIGIN)
        self.assertEqual((st['status'], st['http']), ('failed', None), st)
        self.assertIn('Failed to fetch', st['error'])  # what a page learns of a CORS refusal
        refused = [ln for ln in self.control.read_log().splitlines()
                   if 'OPTIONS /whep/alice-cam' in ln and ': 403 ' in ln and OTHER_ORIGIN in ln]
        print('the daemon: %s' % (refused[-1] if refused else None))
        self.assertTrue(refused, 'no refused preflight in the log')
        self.assertEqual(self.made(), before)

    def test_delete_stops_the_packets(self):
        """The page's stop() DELETEs its session: 200, and its packets stop
        within 1 s (the gateway stopped before the 200)."""
        b = self.browser('alice')
        before = set(self.gw.viewers())
        st = self.watch(b, 'alice-cam', self.alice)
        self.assertEqual(st['http'], 201, st)
        self.decoding(b)
        vid = self.gw_viewer(before)
        # packets flow before (so that the measure below can fail)
        n0 = b.evaluate('srtpgw.stats().then(s => s.packetsReceived)')
        b.wait('srtpgw.stats().then(s => s.packetsReceived > %d)' % n0, what='packets flowing')
        c0 = self.gw.counters()
        self.assertEqual(b.evaluate('srtpgw.stop({keep: true})'), 200)
        t0 = time.monotonic()
        self.assertNotIn(vid, self.gw.viewers())  # gone before the 200
        # watch packetsReceived for 2.5 s: when did it last grow?
        samples = []
        while time.monotonic() - t0 < 2.5:
            samples.append((time.monotonic() - t0, b.evaluate('srtpgw.stats().then(s => s.packetsReceived)')))
            time.sleep(0.05)
        last_growth = max([t for (t, n), (_, m) in zip(samples[1:], samples) if n > m], default=0.0)
        print('packets after DELETE: %d, the last growth seen %.3f s after its 200'
              % (samples[-1][1] - samples[0][1], last_growth))
        self.assertLess(last_growth, 1.0, samples)
        # srtpgw-control sends a DTLS close_notify before the change that
        # closes the port, and the gateway sends it before it takes the change
        b.wait('srtpgw.state.dtls === "closed"', timeout=10, what='the DTLS transport closed')
        self.assertEqual(counter_deltas(c0, self.gw.counters(), 'drop_punt').get('drop_punt_tx', 0), 0)
        self.assertNotIn(self.viewer_of(st), [v['name'] for v in self.webrtc_viewers()])

    def whip_camera(self, name, colour):
        """An aiortc camera publishing VP8 over WHIP: a keyframe at its
        start and then only when asked (every 3000 frames otherwise: 100 s
        at 30 frames a second)."""
        self.ctl('stream', 'add', name, '--owner', 'alice', '--whip')
        self.addCleanup(self.ctl, 'stream', 'del', name, check=False)
        p = self.ns.popen('/usr/bin/python3', PEER, 'whip', '%s/whip/%s' % (API, name), self.alice,
                          '--pin', self.pin, '--colour', colour, '--seconds', '120', '--codec', 'VP8',
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(p.stderr.close)
        self.addCleanup(p.stdout.close)
        self.addCleanup(stop, p, 0)
        first = json.loads(p.stdout.readline())
        self.assertEqual(first['status'], 201, first)
        return p

    def test_late_joiner_first_frame(self):
        """A WHIP camera whose next keyframe is 100 s away: a page that
        joins after 3 s shows its first frame within 1 s of DTLS (the
        gateway asked the camera for a keyframe when the viewer joined)."""
        self.whip_camera('alice-whip', '0,200,0')
        wait_for(lambda: self.stream_packets('alice-whip') >= 90, timeout=30, what='the camera flowing for 3 s')
        c0 = self.gw.counters()
        b = self.browser('late')
        st = self.watch(b, 'alice-whip', self.alice)
        self.assertEqual(st['http'], 201, st)
        stats, rgb = self.decoding(b, frames=1)
        t = b.wait('srtpgw.state.first_frame_ms !== null && srtpgw.state.first_decoded_ms !== null && '
                   'srtpgw.state.dtls_connected_ms !== null ? srtpgw.state : null', what='the first frame timed')
        decoded_s = (t['first_decoded_ms'] - t['dtls_connected_ms']) / 1000
        shown_s = (t['first_frame_ms'] - t['dtls_connected_ms']) / 1000
        print('late joiner: first frame decoded %.3f s after DTLS completed (its first packet %.3f s, shown %.3f s; '
              'DTLS %.3f s after the answer); %s' % (
                  decoded_s, (t['first_packet_ms'] - t['dtls_connected_ms']) / 1000, shown_s,
                  (t['dtls_connected_ms'] - t['answered_ms']) / 1000, stats))
        live = [ln for ln in self.control.read_log().splitlines()
                if 'webrtc session %s: live' % st['session'].rsplit('/', 1)[1] in ln]
        print('the daemon: %s' % (live[-1] if live else None))
        self.assertTrue(is_green(rgb), rgb)
        # decoded: the browser's own rendering, on a loaded machine, may
        # show it later, which is not the gateway's doing
        self.assertLess(decoded_s, 1.0, t)
        self.assertGreaterEqual(self.gw.counters()['keyframe_requested'] - c0.get('keyframe_requested', 0), 1)

    def stream_packets(self, name):
        """Packets the gateway took from stream name."""
        return sum(s['packets'] for s in self.ctl('stats')['streams'] if s['name'] == name)

    def test_consent_lapses_when_the_browser_dies(self):
        """SIGKILL of the browser's whole group: no DELETE, no close_notify,
        no more ICE checks. Within ~35 s (consent: 30 s) srtpgw-control
        pauses the viewer and the gateway sends it nothing more."""
        b = self.browser('doomed')
        before = set(self.gw.viewers())
        st = self.watch(b, 'alice-cam', self.alice)
        self.assertEqual(st['http'], 201, st)
        self.decoding(b)
        name = self.viewer_of(st)
        vid = self.gw_viewer(before)

        def state():
            v = [x for x in self.webrtc_viewers('alice-cam') if x['name'] == name]
            return v[0]['state'] if v else None
        self.assertEqual(state(), 'live')
        t0 = time.monotonic()
        b.kill()
        wait_for(lambda: state() == 'paused', timeout=50, what='the viewer paused', interval=0.25)
        paused_s = time.monotonic() - t0
        c0 = self.gw.counters()
        sent0 = self.gw.viewers()[vid]['packets']
        # the camera goes on: the viewer's packets are dropped, not sent
        wait_for(lambda: self.gw.counters()['drop_viewer_paused'] - c0.get('drop_viewer_paused', 0) >= 30,
                 timeout=10, what='the paused viewer\'s packets dropped')
        sent1 = self.gw.viewers()[vid]['packets']
        print('consent: paused %.1f s after the browser was killed; %d packets sent to it since'
              % (paused_s, sent1 - sent0))
        self.assertLess(paused_s, 40)
        self.assertGreater(paused_s, 20)  # not before consent could lapse
        self.assertEqual(sent1, sent0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
