#!/usr/bin/python3
"""Write the SDP offers of tests/unit/sdp/ from the real implementations,
and the seeds of the SDP fuzzer from them.

    tests/unit/sdp/make_fixtures.py [aiortc] [gst] [chromium] [corpus]

aiortc (python3-aiortc), GStreamer's webrtcbin (gir1.2-gst-plugins-bad-1.0,
gstreamer1.0-nice) and headless Chromium (chromium) each create offers for a
WHEP viewer (recvonly) and a WHIP camera (sendonly); each offer is written
as it was made (CRLF line breaks), as <maker>_<what>.sdp. Offers carry fresh
ICE credentials, fingerprints and SSRCs every run: tests/unit/test_sdp.c
reads what does not change (structure, codecs, payload types), so a
regenerated fixture needs the test's expectations checked, not rewritten.
The Firefox and libdatachannel (OBS) offers are written by hand (README).

corpus: tests/fuzz/corpus/sdp/, each offer here behind the flags bytes of
tests/fuzz/fuzz_sdp.c that fit it (deterministic: run it after a change of
the offers or of the harness's flags).
"""
import asyncio
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, sdp):
    with open(os.path.join(HERE, name + '.sdp'), 'w', newline='') as f:
        f.write(sdp)
    print('wrote', name + '.sdp')


def aiortc_offers():
    from aiortc import RTCPeerConnection, RTCRtpSender

    async def offer(kinds, h264_only=False):
        pc = RTCPeerConnection()
        for kind, direction in kinds:
            t = pc.addTransceiver(kind, direction=direction)
            if h264_only and kind == 'video':
                caps = RTCRtpSender.getCapabilities('video')
                t.setCodecPreferences([c for c in caps.codecs if c.mimeType in ('video/H264', 'video/rtx')])
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    write('aiortc_whep_video_audio', asyncio.run(offer([('video', 'recvonly'), ('audio', 'recvonly')])))
    write('aiortc_whep_video', asyncio.run(offer([('video', 'recvonly')])))
    write('aiortc_whip_video_audio', asyncio.run(offer([('video', 'sendonly'), ('audio', 'sendonly')])))
    write('aiortc_whip_h264', asyncio.run(offer([('video', 'sendonly')], h264_only=True)))


def gst_offers():
    import gi
    gi.require_version('Gst', '1.0')
    gi.require_version('GstWebRTC', '1.0')
    from gi.repository import GLib, Gst, GstWebRTC
    Gst.init(None)
    D = GstWebRTC.WebRTCRTPTransceiverDirection

    def offer(specs, bundle='max-bundle'):
        pipe = Gst.Pipeline.new()
        w = Gst.ElementFactory.make('webrtcbin')
        w.set_property('bundle-policy', bundle)
        pipe.add(w)
        for direction, caps in specs:
            w.emit('add-transceiver', direction, Gst.Caps.from_string(caps))
        pipe.set_state(Gst.State.PLAYING)
        res = {}
        loop = GLib.MainLoop()

        def done(p, _):
            p.wait()
            reply = p.get_reply()  # owns the offer: keep it while the offer is used
            offer = reply.get_value('offer')
            w.emit('set-local-description', offer, None)
            res['sdp'] = offer.sdp.as_text()
            loop.quit()
        w.emit('create-offer', None, Gst.Promise.new_with_change_func(done, None))
        loop.run()
        pipe.set_state(Gst.State.NULL)
        return res['sdp']

    vp8 = 'application/x-rtp,media=video,encoding-name=VP8,payload=96,clock-rate=90000'
    h264 = ('application/x-rtp,media=video,encoding-name=H264,payload=102,clock-rate=90000,'
            'packetization-mode=(string)1,profile-level-id=(string)42e01f')
    opus = 'application/x-rtp,media=audio,encoding-name=OPUS,payload=111,clock-rate=48000'
    write('gst_whep_video_audio', offer([(D.RECVONLY, vp8 + ';' + h264), (D.RECVONLY, opus)]))
    write('gst_whip_h264_opus', offer([(D.SENDONLY, h264), (D.SENDONLY, opus)]))
    write('gst_whep_nobundle', offer([(D.RECVONLY, vp8), (D.RECVONLY, opus)], 'none'))


PAGE = '''<!doctype html><meta charset="utf-8"><title>offers</title><script>
async function offer(kinds, dc) {
  const pc = new RTCPeerConnection();
  for (const [k, d] of kinds) pc.addTransceiver(k, {direction: d});
  if (dc) pc.createDataChannel('x');
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(r => {
    if (pc.iceGatheringState === 'complete') r();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') r(); };
  });
  const s = pc.localDescription.sdp; pc.close(); return s;
}
(async () => {
  const out = {};
  try {
    out.chromium_whep_video_audio = await offer([['video', 'recvonly'], ['audio', 'recvonly']]);
    out.chromium_whep_video = await offer([['video', 'recvonly']]);
    out.chromium_whip_video_audio = await offer([['video', 'sendonly'], ['audio', 'sendonly']]);
    out.chromium_whep_datachannel = await offer([['video', 'recvonly'], ['audio', 'recvonly']], true);
  } catch (e) { out.error = String(e); }
  await fetch('/result', {method: 'POST', body: JSON.stringify(out)});
})();
</script>'''


def chromium_offers():
    res, got = {}, threading.Event()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = PAGE.encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/html')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            res.update(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
            self.send_response(204)
            self.end_headers()
            got.set()

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    profile = tempfile.mkdtemp(prefix='sdp-chromium-')
    p = subprocess.Popen(['chromium', '--headless=new', '--no-sandbox', '--disable-gpu',
                          '--disable-background-networking', '--disable-component-update',
                          '--disable-sync', '--no-first-run', '--user-data-dir=' + profile,
                          'http://127.0.0.1:%d/' % srv.server_address[1]],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        if not got.wait(60):
            sys.exit('chromium sent no offers in 60 s')
    finally:
        os.killpg(p.pid, 15)
        p.wait()
        srv.shutdown()
        shutil.rmtree(profile, ignore_errors=True)
    if 'error' in res:
        sys.exit('chromium: ' + res['error'])
    for name, sdp in res.items():
        write(name, sdp)


# fuzz_sdp's flags: low 3 bits the want (0 WHEP H.264 mode 1, 2 WHEP VP8,
# 3 WHEP opus, 4 WHEP VP8 + opus, 5 WHIP with opus), 0x08 a short buffer
# too, 0x10 every feedback, 0x80 IPv6.
WHEP_FLAGS = (0x00, 0x0a, 0x93, 0x14)
WHIP_FLAGS = (0x05, 0x9d)


def corpus():
    out = os.path.join(HERE, '..', '..', 'fuzz', 'corpus', 'sdp')
    os.makedirs(out, exist_ok=True)
    for name in sorted(os.listdir(HERE)):
        if not name.endswith('.sdp'):
            continue
        with open(os.path.join(HERE, name), 'rb') as f:
            offer = f.read()
        for flags in WHIP_FLAGS if '_whip_' in name else WHEP_FLAGS:
            seed = '%s-%02x' % (name[:-4], flags)
            with open(os.path.join(out, seed), 'wb') as f:
                f.write(bytes([flags]) + offer)
    print('wrote', os.path.normpath(out))


if __name__ == '__main__':
    makers = {'aiortc': aiortc_offers, 'gst': gst_offers, 'chromium': chromium_offers, 'corpus': corpus}
    for name in sys.argv[1:] or list(makers):
        if name not in makers:
            sys.exit('usage: make_fixtures.py [aiortc] [gst] [chromium] [corpus]')
        makers[name]()
