"""srtpgw's SDP answers, as other WebRTC implementations take them.

python3-aiortc and headless Chromium each create offers as a WHEP viewer
(recvonly) and a WHIP camera (sendonly), srtpgw's SDP module answers them
(control/daemon/sdp.h, through tests/integration/sdp_answer_tool), and the
peer's setRemoteDescription(answer) must succeed with what the answer says:
the served section's direction and codec, with the offer's payload type
number, unserved sections inactive or rejected. A deliberately broken
answer (no fingerprint, or setup:actpass) must be refused by the same
peer, so the check can fail. No sockets beyond loopback, no root.
"""
import asyncio
import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import unittest

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
BUILD = os.environ.get('SRTPGW_BUILD', os.path.join(TOP, 'build'))
TOOL = os.environ.get('SDP_ANSWER_TOOL', os.path.join(BUILD, 'tests', 'integration', 'sdp_answer_tool'))

H264_CB = ['--video', 'H264/42e01f/1']
WHIP_TAKES = ['--video', 'H264', '--video', 'VP8', '--audio', 'opus']


def answer(offer, role, *args):
    """(answer, choice line) from the tool; fails the test if it refused."""
    # bytes: text mode would turn the answer's CRLF into LF
    r = subprocess.run([TOOL, '--role', role] + list(args), input=offer.encode(), capture_output=True,
                       timeout=30)
    if r.returncode != 0:
        raise AssertionError('srtpgw refused the offer: ' + r.stderr.decode().strip())
    return r.stdout.decode(), r.stderr.decode().strip()


def sections(sdp):
    """The media sections of an SDP as lists of lines (CRLF or LF)."""
    out = []
    for line in sdp.replace('\r\n', '\n').split('\n'):
        if line.startswith('m='):
            out.append([line])
        elif out and line:
            out[-1].append(line)
    return out


def offered_pt(sdp, index, codec, fmtp_re=None):
    """The first payload type of a codec (and fmtp) in a media section of an
    offer, found without srtpgw's parser."""
    lines = sections(sdp)[index]
    for pt in lines[0].split()[3:]:
        if not any(re.match(r'a=rtpmap:%s %s/' % (pt, codec), l, re.I) for l in lines):
            continue
        fmtp = next((l for l in lines if l.startswith('a=fmtp:%s ' % pt)), '')
        if fmtp_re is None or re.search(fmtp_re, fmtp):
            return int(pt)
    raise AssertionError('no %s in section %d' % (codec, index))


def answered(ans, index):
    """(port, payload types, direction) of a media section of our answer."""
    lines = sections(ans)[index]
    m = lines[0].split()
    direction = next((l[2:] for l in lines if l[2:] in ('sendonly', 'recvonly', 'inactive', 'sendrecv')), None)
    return int(m[1]), [int(x) for x in m[3:] if x.isdigit()], direction


def break_answer(ans, how):
    if how == 'no-fingerprint':
        return re.sub(r'a=fingerprint:[^\r\n]*\r\n', '', ans)
    if how == 'no-ice-pwd':
        return re.sub(r'a=ice-pwd:[^\r\n]*\r\n', '', ans)
    if how == 'actpass':
        return ans.replace('a=setup:passive', 'a=setup:actpass')
    raise ValueError(how)


class Aiortc(unittest.TestCase):
    """aiortc 1.4 (Debian's python3-aiortc) as viewer and camera."""

    def run_peer(self, kinds, role, args, datachannel=False, broken=None):
        from aiortc import RTCPeerConnection, RTCSessionDescription

        def quiet(loop, ctx):
            # aiortc's connect task fails once the test closed the connection
            if 'RTCIceTransport is closed' not in str(ctx.get('exception')):
                loop.default_exception_handler(ctx)

        async def go():
            asyncio.get_running_loop().set_exception_handler(quiet)
            pc = RTCPeerConnection()
            try:
                for kind, direction in kinds:
                    pc.addTransceiver(kind, direction=direction)
                if datachannel:
                    pc.createDataChannel('x')
                await pc.setLocalDescription(await pc.createOffer())
                offer = pc.localDescription.sdp
                ans, choice = answer(offer, role, *args)
                if broken:
                    ans = break_answer(ans, broken)
                error = None
                try:
                    await pc.setRemoteDescription(RTCSessionDescription(sdp=ans, type='answer'))
                except Exception as e:  # what aiortc raises for a bad answer varies
                    error = e
                result = [(t.kind, t.currentDirection,
                           [(c.mimeType, c.payloadType) for c in (t._codecs or [])])
                          for t in pc.getTransceivers()]
                return offer, ans, choice, error, result
            finally:
                await pc.close()
        return asyncio.run(go())

    def test_whep_h264_video_audio(self):
        offer, ans, choice, error, tr = self.run_peer([('video', 'recvonly'), ('audio', 'recvonly')],
                                                      'whep', H264_CB)
        self.assertIsNone(error, ans)
        pt = offered_pt(offer, 0, 'H264', 'packetization-mode=1.*profile-level-id=42e01f')
        self.assertEqual(answered(ans, 0), (20000, [pt], 'sendonly'))
        self.assertEqual(answered(ans, 1)[2], 'inactive')
        self.assertEqual(tr[0][:2], ('video', 'recvonly'))
        self.assertEqual(tr[0][2][0], ('video/H264', pt), tr)
        self.assertEqual(tr[1][:2], ('audio', 'inactive'))
        self.assertIn('0=serve:H264/%d/' % pt, choice)

    def test_whep_vp8_video(self):
        offer, ans, choice, error, tr = self.run_peer([('video', 'recvonly')], 'whep', ['--video', 'VP8'])
        self.assertIsNone(error, ans)
        pt = offered_pt(offer, 0, 'VP8')
        self.assertEqual(tr, [('video', 'recvonly', [('video/VP8', pt)])])

    def test_whep_opus_audio_video_inactive(self):
        offer, ans, choice, error, tr = self.run_peer([('video', 'recvonly'), ('audio', 'recvonly')],
                                                      'whep', ['--audio', 'opus'])
        self.assertIsNone(error, ans)
        self.assertEqual(tr[0][1], 'inactive')
        self.assertEqual(tr[1][:2], ('audio', 'recvonly'))
        self.assertEqual(tr[1][2][0], ('audio/opus', offered_pt(offer, 1, 'opus')))
        # the BUNDLE tag is the first section kept: video, though inactive
        self.assertIn('a=group:BUNDLE 0 1\r\n', ans)

    def test_whip_camera(self):
        offer, ans, choice, error, tr = self.run_peer([('video', 'sendonly'), ('audio', 'sendonly')],
                                                      'whip', WHIP_TAKES)
        self.assertIsNone(error, ans)
        self.assertEqual(tr[0][:2], ('video', 'sendonly'))
        self.assertEqual(tr[0][2][0][0], 'video/H264')
        self.assertEqual(tr[1][:2], ('audio', 'sendonly'))
        self.assertEqual(answered(ans, 0)[2], 'recvonly')
        self.assertNotIn('a=ssrc:', ans)  # srtpgw sends no media to a camera

    def test_datachannel_rejected(self):
        offer, ans, choice, error, tr = self.run_peer([('video', 'recvonly')], 'whep', ['--video', 'VP8'],
                                                      datachannel=True)
        self.assertIsNone(error, ans)
        self.assertEqual(answered(ans, 1)[0], 0)
        self.assertIn('a=group:BUNDLE 0\r\n', ans)
        self.assertEqual(tr[0][:2], ('video', 'recvonly'))

    def test_broken_answers_refused(self):
        # aiortc checks ICE credentials and setup in an answer, not the fingerprint
        for how in ('no-ice-pwd', 'actpass'):
            with self.subTest(how=how):
                offer, ans, choice, error, tr = self.run_peer([('video', 'recvonly')], 'whep',
                                                              ['--video', 'VP8'], broken=how)
                self.assertIsNotNone(error, 'aiortc took a broken answer:\n' + ans)


PAGE = '''<!doctype html><meta charset="utf-8"><title>sdp peers</title><script>
async function post(path, body) {
  const r = await fetch(path, {method: 'POST', body: JSON.stringify(body)});
  return r.json();
}
async function one(s) {
  const pc = new RTCPeerConnection();
  try {
    for (const [k, d] of s.kinds) pc.addTransceiver(k, {direction: d});
    if (s.datachannel) pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer());
    const a = await post('/answer', {name: s.name, offer: pc.localDescription.sdp});
    if (a.error) return {error: 'srtpgw: ' + a.error};
    const res = {answer: a.answer};
    try {
      await pc.setRemoteDescription({type: 'answer', sdp: a.answer});
      res.ok = true;
    } catch (e) { res.ok = false; res.error = String(e); }
    res.transceivers = pc.getTransceivers().map(t => ({
      kind: t.receiver.track.kind, mid: t.mid, direction: t.currentDirection,
      recv: t.receiver.getParameters().codecs.map(c => [c.mimeType, c.payloadType]),
      send: t.sender.getParameters().codecs.map(c => [c.mimeType, c.payloadType])}));
    return res;
  } finally { pc.close(); }
}
(async () => {
  const out = {};
  try {
    const scenarios = await (await fetch('/scenarios')).json();
    for (const s of scenarios) out[s.name] = await one(s);
  } catch (e) { out.page_error = String(e); }
  await post('/result', out);
})();
</script>'''

# name: (kinds, datachannel, role, tool args, broken)
SCENARIOS = {
    'whep_h264': ([['video', 'recvonly'], ['audio', 'recvonly']], False, 'whep', H264_CB, None),
    'whep_vp8_datachannel': ([['video', 'recvonly'], ['audio', 'recvonly']], True, 'whep', ['--video', 'VP8'], None),
    'whep_opus': ([['video', 'recvonly'], ['audio', 'recvonly']], False, 'whep', ['--audio', 'opus'], None),
    'whip': ([['video', 'sendonly'], ['audio', 'sendonly']], False, 'whip', WHIP_TAKES, None),
    'broken_no_fingerprint': ([['video', 'recvonly']], False, 'whep', ['--video', 'VP8'], 'no-fingerprint'),
    'broken_actpass': ([['video', 'recvonly']], False, 'whep', ['--video', 'VP8'], 'actpass'),
}


class Chromium(unittest.TestCase):
    """Debian's chromium, headless: its offers answered, the answers set."""

    @classmethod
    def setUpClass(cls):
        chromium = shutil.which('chromium')
        if chromium is None:
            raise AssertionError('chromium is not installed (scripts/setup installs it)')
        cls.offers, cls.results, cls.errors = {}, {}, []
        done = threading.Event()

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, body, ctype='application/json'):
                body = body.encode()
                self.send_response(200)
                self.send_header('Content-Type', ctype)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path == '/scenarios':
                    self.reply(json.dumps([{'name': n, 'kinds': s[0], 'datachannel': s[1]}
                                           for n, s in SCENARIOS.items()]))
                else:
                    self.reply(PAGE, 'text/html')

            def do_POST(self):
                req = json.loads(self.rfile.read(int(self.headers['Content-Length'])))
                if self.path == '/answer':
                    kinds, dc, role, args, broken = SCENARIOS[req['name']]
                    cls.offers[req['name']] = req['offer']
                    try:
                        ans, _ = answer(req['offer'], role, *args)
                        self.reply(json.dumps({'answer': break_answer(ans, broken) if broken else ans}))
                    except AssertionError as e:
                        self.reply(json.dumps({'error': str(e)}))
                else:
                    cls.results = req
                    self.reply('{}')
                    done.set()

        srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        profile = tempfile.mkdtemp(prefix='sdp-peers-chromium-')
        p = subprocess.Popen([chromium, '--headless=new', '--no-sandbox', '--disable-gpu',
                              '--disable-background-networking', '--disable-component-update',
                              '--disable-sync', '--no-first-run', '--user-data-dir=' + profile,
                              'http://127.0.0.1:%d/' % srv.server_address[1]],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            if not done.wait(90):
                raise AssertionError('chromium reported nothing in 90 s')
        finally:
            os.killpg(p.pid, 15)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)
                p.wait()
            srv.shutdown()
            shutil.rmtree(profile, ignore_errors=True)
        if 'page_error' in cls.results:
            raise AssertionError('the page failed: ' + cls.results['page_error'])

    def result(self, name):
        r = self.results[name]
        self.assertNotIn('srtpgw', r.get('error', ''), r)
        return r

    def test_whep_h264(self):
        r = self.result('whep_h264')
        self.assertTrue(r['ok'], r.get('error'))
        pt = offered_pt(self.offers['whep_h264'], 0, 'H264', 'packetization-mode=1;profile-level-id=42e01f')
        video, audio = r['transceivers']
        self.assertEqual(video['direction'], 'recvonly')
        # a receiver lists every codec it offered: the served one is among them
        self.assertIn(['video/H264', pt], video['recv'])
        self.assertEqual(audio['direction'], 'inactive')

    def test_whep_vp8_datachannel(self):
        r = self.result('whep_vp8_datachannel')
        self.assertTrue(r['ok'], r.get('error'))
        pt = offered_pt(self.offers['whep_vp8_datachannel'], 0, 'VP8')
        video, audio = r['transceivers']
        self.assertEqual(video['direction'], 'recvonly')
        self.assertIn(['video/VP8', pt], video['recv'])
        self.assertEqual(audio['direction'], 'inactive')
        self.assertEqual(answered(r['answer'], 2)[0], 0)  # the data channel, rejected

    def test_whep_opus(self):
        r = self.result('whep_opus')
        self.assertTrue(r['ok'], r.get('error'))
        video, audio = r['transceivers']
        self.assertEqual(video['direction'], 'inactive')
        self.assertEqual(audio['direction'], 'recvonly')
        self.assertIn(['audio/opus', offered_pt(self.offers['whep_opus'], 1, 'opus')], audio['recv'])

    def test_whip(self):
        r = self.result('whip')
        self.assertTrue(r['ok'], r.get('error'))
        video, audio = r['transceivers']
        self.assertEqual((video['direction'], audio['direction']), ('sendonly', 'sendonly'))
        # a sender lists what the answer allows it: the chosen codec only
        self.assertEqual([c[0] for c in video['send']], ['video/H264'])
        self.assertEqual([c[0] for c in audio['send']], ['audio/opus'])

    def test_broken_answers_refused(self):
        for name in ('broken_no_fingerprint', 'broken_actpass'):
            with self.subTest(name=name):
                r = self.result(name)
                self.assertFalse(r['ok'], 'chromium took a broken answer:\n' + r['answer'])
                self.assertIn('setRemoteDescription', r['error'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
