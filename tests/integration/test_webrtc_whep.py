"""WebRTC through srtpgw with an independent implementation (aiortc) at
the other end: WHEP viewers and WHIP cameras over the real srtpgw and
srtpgw-control, the HTTP API on a second veth ("management"), media on the
gateway's port. Pictures are decoded and their colour compared.

An SDES camera is ffmpeg sending VP8 under a pasted key; a WHIP camera is
aiortc sending a picture of one colour.
"""
import json
import os
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from ctltest import ControlCase  # noqa: E402
from media import FFMPEG, stop  # noqa: E402
from sgwtest import addressed_link, wait_for  # noqa: E402

GW4, PEER4 = '10.87.0.1', '10.87.0.2'
MGMT_ROOT, MGMT_NS = '10.89.0.1', '10.89.0.2'
HTTP_PORT = 8444
PEER = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib', 'webrtc_peer.py')
FP_RE = re.compile(r'SHA-256 fingerprint ([0-9A-F:]{95})')


def red(rgb):
    return rgb[0] > 170 and rgb[1] < 80 and rgb[2] < 80


class WebRTC(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'http_listen = "%s:%d";\nport_range = [ 30000, 30999 ];\n' % (MGMT_ROOT, HTTP_PORT)

    @classmethod
    def prepare(cls):
        # the management network: the daemon's HTTPS on the root end
        addressed_link(cls.res, None, MGMT_ROOT + '/24', cls.ns, MGMT_NS + '/24', 'sgm')

    @classmethod
    def ready(cls):
        super().ready()
        cls.pin = FP_RE.findall(cls.control.read_log())[-1]
        wait_for(lambda: 'punt socket' in cls.control.read_log(), what='the punt channel')
        cls.ctl('owner', 'add', 'alice')
        cls.ctl('owner', 'add', 'bob')
        cls.alice = cls.ctl('token', 'add', '--owner', 'alice')['token']
        cls.bob = cls.ctl('token', 'add', '--owner', 'bob')['token']

    @classmethod
    def ctl(cls, *args, **kw):
        return cls.control.ctl(*args, **kw)

    def url(self, kind, stream):
        return 'https://%s:%d/%s/%s' % (MGMT_ROOT, HTTP_PORT, kind, stream)

    def peer(self, *args, timeout=60):
        """webrtc_peer.py in the namespace: its JSON result."""
        p = self.ns.popen('/usr/bin/python3', PEER, *args, '--pin', self.pin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop, p, 0)
        out, err = p.communicate(timeout=timeout)
        self.assertEqual(p.returncode, 0, err)
        return json.loads(out.strip().splitlines()[-1])

    def sdes_camera(self, name, colour):
        """ffmpeg in the namespace: VP8 of one colour, a keyframe a second,
        SRTP to stream name's listen port."""
        st = self.ctl('stream', 'add', name, '--owner', 'alice', '--codec', 'VP8', '--pt', '96')
        self.addCleanup(self.ctl, 'stream', 'del', name, check=False)  # a test may delete it
        host, port = st['listen'].rsplit(':', 1)
        cmd = FFMPEG + ['-re', '-f', 'lavfi', '-i', 'color=c=%s:size=320x240:rate=30' % colour,
                        '-t', '60', '-c:v', 'libvpx', '-deadline', 'realtime', '-g', '30', '-b:v', '500k',
                        '-f', 'rtp', '-payload_type', '96', '-srtp_out_suite', st['suite'],
                        '-srtp_out_params', st['key'], 'srtp://%s:%s' % (host, port)]
        p = self.ns.popen(*cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(stop, p, 0)
        return st

    def test_whep_viewer_decodes_the_camera(self):
        """aiortc watches an SDES camera through srtpgw: 201 with an answer,
        30 frames decoded of the camera's colour, DELETE ends it."""
        self.sdes_camera('cam1', 'red')
        c0 = self.gw.counters()
        r = self.peer('whep', self.url('whep', 'cam1'), self.alice, '--frames', '30')
        self.assertEqual(r['status'], 201, r)
        self.assertRegex(r['location'], r'^/whep/session/[0-9a-f]{32}$')
        self.assertEqual(r['frames'], 30, r)
        self.assertTrue(red(r['mean_rgb']), r)
        self.assertEqual(r['delete_status'], 200)
        self.assertEqual(r['dtls_after_delete'], 'closed', r)  # told, with a close_notify
        d = {k: v - c0.get(k, 0) for k, v in self.gw.counters().items()}
        self.assertGreater(d['punt_rx'], 0)
        self.assertGreater(d['punt_tx'], 0)
        # nothing of the session is left
        wait_for(lambda: self.ctl('viewer', 'show')['viewers'] == [], what='the viewer gone')

    def test_media_before_a_nomination(self):
        """A viewer whose checks carry no USE-CANDIDATE (Chromium's
        nomination may come a second after DTLS): its media starts when
        DTLS is done, to the address DTLS came from, which passed a check
        (RFC 8445 12.1). Before, the viewer waited for a nomination."""
        self.sdes_camera('cam6', 'red')
        r = self.peer('whep', self.url('whep', 'cam6'), self.alice, '--frames', '10', '--no-nominate')
        self.assertEqual((r['status'], r['frames']), (201, 10), r)
        self.assertTrue(red(r['mean_rgb']), r)
        sid = r['location'].rsplit('/', 1)[1]
        live = [ln for ln in self.control.read_log().splitlines() if 'webrtc session %s: live' % sid in ln]
        self.assertEqual(len(live), 1, live)
        self.assertIn('sending to %s:' % PEER4, live[0])

    def whip_camera(self, name, colour, codec=None):
        """An aiortc camera publishing to WHIP stream name: its Popen, once
        its session is answered."""
        self.ctl('stream', 'add', name, '--owner', 'alice', '--whip')
        self.addCleanup(self.ctl, 'stream', 'del', name)
        p = self.ns.popen('/usr/bin/python3', PEER, 'whip', self.url('whip', name), self.alice, '--pin', self.pin,
                          '--colour', colour, '--seconds', '60', *(['--codec', codec] if codec else []), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
        self.addCleanup(stop, p, 0)
        first = json.loads(p.stdout.readline())
        self.assertEqual(first['status'], 201, first)
        self.assertRegex(first['location'], r'^/whip/session/[0-9a-f]{32}$')
        return p

    def stream_packets(self):
        """Packets the gateway took from the test's one stream."""
        streams = list(self.gw.streams().values())
        return streams[0]['packets'] if len(streams) == 1 else 0

    def test_whip_camera_and_a_late_joiner(self):
        """An aiortc camera publishes over WHIP; its VP8 encoder makes a
        keyframe only every 3000 frames (100 s) or when asked. A viewer that
        joins after 3 s gets its first frame within 1 s of ICE and DTLS: the
        gateway asked the camera (PLI on its leg) when the viewer joined.
        (VP8: aiortc 1.4's H.264 encoder ignores keyframe requests.)"""
        self.whip_camera('camw', '0,200,0', 'VP8')
        # the camera's session is live and its media flows for 3 s (90 frames)
        wait_for(lambda: self.stream_packets() >= 90, timeout=30, what='the camera flowing')
        c0 = self.gw.counters()
        r = self.peer('whep', self.url('whep', 'camw'), self.alice, '--frames', '10')
        self.assertEqual(r['status'], 201, r)
        self.assertEqual(r['frames'], 10, r)
        self.assertGreater(r['mean_rgb'][1], 150, r)
        self.assertLess(r['mean_rgb'][0], 80, r)
        self.assertLess(r['first_frame_after_dtls_s'], 1.0, r)
        self.assertGreaterEqual(self.gw.counters()['keyframe_requested'] - c0.get('keyframe_requested', 0), 1)

    def test_whep_session_shown_and_deleted(self):
        """While a WHEP viewer watches, srtpgwctl shows it as a live WebRTC
        viewer with ICE and DTLS connected and the receiver reports it
        sends; DELETE takes it out of the gateway before it answers."""
        self.sdes_camera('cam3', 'red')
        p = self.ns.popen('/usr/bin/python3', PEER, 'whep', self.url('whep', 'cam3'), self.alice, '--pin', self.pin,
                          '--frames', '10', '--hold', stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop, p, 0)
        first = json.loads(p.stdout.readline())
        self.assertEqual((first['status'], first['frames']), (201, 10), first)
        session = first['location'].rsplit('/', 1)[1]
        v = self.ctl('viewer', 'show')['viewers']
        self.assertEqual(len(v), 1, v)
        v = v[0]
        self.assertEqual((v['name'], v['stream'], v['owner'], v['kind'], v['session'], v['state'], v['ice'],
                          v['dtls']), ('webrtc-' + session, 'cam3', 'alice', 'webrtc', session, 'live',
                                       'connected', 'connected'))
        self.assertEqual(v['to'].split(':')[0], PEER4)
        # aiortc reports what it receives about once a second
        rep = wait_for(lambda: (lambda r: r if r['reports'] >= 1 else None)(
            self.ctl('viewer', 'show', 'webrtc-' + session)['viewers'][0]['rtcp']), what='a receiver report')
        self.assertEqual(rep['refused'], 0, rep)
        self.assertIsNotNone(rep['last_report_ms'])
        # ffmpeg sends its sender reports to listen port + 1 (the stream's
        # RTCP port): forwarded to the browser, whose reports then name them
        rep = wait_for(lambda: (lambda r: r if r['rtt_ms'] is not None else None)(
            self.ctl('viewer', 'show', 'webrtc-' + session)['viewers'][0]['rtcp']), timeout=20,
            what='a round trip from a receiver report')
        self.assertLess(rep['rtt_ms'], 1000, rep)
        st = self.ctl('status')['webrtc']
        self.assertEqual((st['punt_channel'], st['sessions']), ('connected', 1), st)
        self.assertGreaterEqual(st['stun_answered'], 1)
        gw_viewer = [x for x in self.gw.viewers().values()]
        self.assertEqual(len(gw_viewer), 1)
        p.stdin.write('\n')
        p.stdin.flush()
        out, err = p.communicate(timeout=30)
        last = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(last['delete_status'], 200, last)
        # DELETE answered after the gateway applied it: nothing more is sent
        self.assertEqual(self.gw.viewers(), {})
        self.assertEqual(self.ctl('viewer', 'show')['viewers'], [])
        self.assertEqual(self.ctl('status')['webrtc']['sessions'], 0)

    def test_deleting_the_stream_ends_its_sessions(self):
        """srtpgwctl stream del while a browser watches: the gateway stops in
        that change, and the session ends (the peer is told, close_notify)."""
        st = self.sdes_camera('cam4', 'red')
        p = self.ns.popen('/usr/bin/python3', PEER, 'whep', self.url('whep', 'cam4'), self.alice, '--pin', self.pin,
                          '--frames', '5', '--hold', stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop, p, 0)
        first = json.loads(p.stdout.readline())
        self.assertEqual((first['status'], first['frames']), (201, 5), first)
        self.assertEqual(self.ctl('status')['webrtc']['sessions'], 1)
        self.ctl('stream', 'del', 'cam4')
        self.assertEqual(self.gw.viewers(), {})
        wait_for(lambda: self.ctl('status')['webrtc']['sessions'] == 0, what='the session ended')
        self.assertIn('its viewer was deleted, ended', self.control.read_log())
        p.stdin.write('\n')
        p.stdin.flush()
        out, _ = p.communicate(timeout=30)
        last = json.loads(out.strip().splitlines()[-1])
        self.assertEqual(last['delete_status'], 404, last)  # already gone
        self.assertEqual(last['dtls_while_held'], 'closed', last)  # the close_notify arrived
        self.assertEqual(st['listen'].split(':')[0], GW4)

    def close_notify_while_stopped(self, name, noticed):
        """DELETE while the gateway is stopped (and, if noticed, after the
        daemon saw it go): the session's close_notify reaches the peer when
        the gateway is back, and nothing it sent on the punt channel is
        dropped."""
        self.sdes_camera(name, 'red')
        p = self.ns.popen('/usr/bin/python3', PEER, 'whep', self.url('whep', name), self.alice, '--pin', self.pin,
                          '--frames', '5', '--hold', stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
        self.addCleanup(stop, p, 0)
        first = json.loads(p.stdout.readline())
        self.assertEqual((first['status'], first['frames']), (201, 5), first)
        c0 = self.gw.counters()
        os.kill(self.gw.proc.pid, signal.SIGSTOP)
        try:
            if noticed:
                wait_for(lambda: self.ctl('status')['gateway'] == 'disconnected', 30,
                         'the daemon to notice the gateway stopped')
            p.stdin.write('delete\n')
            p.stdin.flush()
            # the change is pending (not applied within apply_timeout): its
            # messages, if the link was up, and the close_notify wait at the gateway
            sid = first['location'].rsplit('/', 1)[1]
            wait_for(lambda: 'webrtc session %s: ended (deleted)' % sid in self.control.read_log(), 30,
                     'the session to end')
        finally:
            os.kill(self.gw.proc.pid, signal.SIGCONT)
        out, _ = p.communicate(timeout=60)
        last = json.loads(out.strip().splitlines()[-1])
        self.control.wait_applied(timeout=30)
        d = {k: v - c0.get(k, 0) for k, v in self.gw.counters().items() if v != c0.get(k, 0)}
        why = (d, self.control.read_log()[-3000:])
        # 202: over, but the gateway had not applied it when the answer went
        self.assertEqual(last['delete_status'], 202, why)
        self.assertEqual(last['dtls_after_delete'], 'closed', why)
        self.assertEqual(d.get('drop_punt_tx', 0), 0, why)
        self.assertGreaterEqual(d.get('punt_tx', 0), 1, why)

    def test_close_notify_goes_before_the_port(self):
        """The change and the close_notify wait at the gateway together:
        the close_notify leaves first, while its port still sends (before,
        the change went first and it was dropped as drop_punt_tx)."""
        self.close_notify_while_stopped('cam6', noticed=False)

    def test_close_notify_while_the_gateway_is_away(self):
        """The daemon knows the gateway is away: the close_notify is still
        sent, before the change that will be pushed when it is back
        (before, nobody sent it: the session was freed at once)."""
        self.close_notify_while_stopped('cam7', noticed=True)

    def test_lost_packets_are_resent(self):
        """A viewer that loses every 10th packet NACKs it; the gateway
        resends each from what it sent that viewer, byte for byte (the same
        SRTP index, plaintext and ciphertext: no index reuse)."""
        self.sdes_camera('cam5', 'red')
        c0 = self.gw.counters()
        r = self.peer('whep', self.url('whep', 'cam5'), self.alice, '--frames', '60',
                      '--drop-every', '10')
        self.assertEqual((r['status'], r['frames']), (201, 60), r)
        self.assertIn('a=rtcp-fb:97 nack\r\n', r['answer'])
        self.assertTrue(red(r['mean_rgb']), r)
        loss = r['loss']
        print('lost %d, resent and recovered %d, identical %d' % (loss['dropped'], loss['recovered'],
                                                                  loss['identical']))
        self.assertGreaterEqual(loss['dropped'], 5, loss)
        self.assertEqual(loss['missing'], [], loss)
        self.assertEqual(loss['identical'], loss['dropped'], loss)
        d = {k: v - c0.get(k, 0) for k, v in self.gw.counters().items()}
        # aiortc names every packet still missing in each NACK it sends:
        # one may be resent again before its first resend arrived
        self.assertGreaterEqual(d['nack_resent'], loss['dropped'], d)
        self.assertEqual(d['nack_missed'], 0, d)

    def test_whep_refusals(self):
        """Bob may not watch alice's camera: 403 and nothing made."""
        self.sdes_camera('cam2', 'blue')
        r = self.peer('whep', self.url('whep', 'cam2'), self.bob)
        self.assertEqual(r['status'], 403, r)
        r = self.peer('whep', self.url('whep', 'nosuch'), self.alice)
        self.assertEqual(r['status'], 404, r)
        # a stream that declares nothing, a JPEG one, a WHIP one with no publisher
        self.ctl('stream', 'add', 'bare', '--owner', 'alice')
        self.ctl('stream', 'add', 'mjpeg', '--owner', 'alice', '--codec', 'JPEG')
        self.ctl('stream', 'add', 'nopub', '--owner', 'alice', '--whip')
        for s in ('bare', 'mjpeg', 'nopub'):
            self.addCleanup(self.ctl, 'stream', 'del', s)
        r = self.peer('whep', self.url('whep', 'bare'), self.alice)
        self.assertEqual(r['status'], 409, r)
        self.assertEqual(r['reason'], 'stream bare declares no media (srtpgwctl stream add --codec)')
        r = self.peer('whep', self.url('whep', 'mjpeg'), self.alice)
        self.assertEqual((r['status'], r['reason']), (422, 'stream mjpeg carries JPEG, which browsers do not decode '
                                                          'over WebRTC'), r)
        r = self.peer('whep', self.url('whep', 'nopub'), self.alice)
        self.assertEqual((r['status'], r['reason']), (409, 'stream nopub has no publisher yet'), r)
        # WHIP to a stream that is not a WHIP stream
        r = self.peer('whep', self.url('whip', 'bare'), self.alice)
        self.assertEqual(r['status'], 409, r)
        st = self.ctl('status')['webrtc']
        self.assertEqual(st['sessions'], 0, st)
        self.assertEqual(self.ctl('viewer', 'show')['viewers'], [])


if __name__ == '__main__':
    unittest.main(verbosity=2)
