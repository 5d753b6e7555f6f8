#!/usr/bin/python3
"""A WebRTC endpoint for the tests, on aiortc (an implementation independent
of srtpgw's): a WHEP viewer that decodes what it receives, or a WHIP camera
that sends a test picture of one colour. Run in a test's network namespace;
prints one JSON object on stdout when done.

  webrtc_peer.py whep URL TOKEN --pin SHA256HEX [--frames N] [--timeout S]
      [--drop-every N] [--no-nominate]
  webrtc_peer.py whip URL TOKEN --pin SHA256HEX --colour R,G,B [--seconds S]
      [--codec VP8|H264]

The HTTPS certificate is pinned by its SHA-256 fingerprint (the daemon's
self-signed one, from its log). whep reports: frames decoded, how many were
keyframes, the mean colour of the last frame, seconds from the answer to
the first decoded frame (and from ICE and DTLS done), and the session's
Location; it ends the session
with DELETE unless --keep (with --hold, after a line on stdin: first it
waits up to 3 s for the DTLS session to end, unless the line is 'delete'). whip reports the Location and the PLIs the
camera answered with a keyframe.

--no-nominate (whep): aioice sends its checks without USE-CANDIDATE, so
srtpgw sees a peer that has not nominated an address (as Chromium may not
have yet when DTLS is done); the viewer must get its media all the same.

--drop-every N loses every Nth SRTP packet that arrives (its first arrival
only: what comes again with its sequence number is kept), below aiortc's
DTLS and SRTP, as a lossy path would; aiortc NACKs what it misses. whep
then reports 'loss': dropped, recovered (arrived again), identical (came
again byte for byte: the same index, plaintext and ciphertext) and the
sequence numbers never recovered.
"""
import argparse
import asyncio
import hashlib
import http.client
import json
import ssl
import sys
import time
import urllib.parse

from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription, VideoStreamTrack
from av import VideoFrame
import numpy


class PinError(Exception):
    pass


def https(method, url, token, pin, body=None, ctype=None):
    """(status, headers, body) of one request, the server's certificate
    pinned by fingerprint."""
    u = urllib.parse.urlsplit(url)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    conn = http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=20)
    headers = {'Authorization': 'Bearer ' + token}
    if ctype:
        headers['Content-Type'] = ctype
    conn.request(method, u.path, body=body, headers=headers)
    der = conn.sock.getpeercert(binary_form=True)
    if hashlib.sha256(der).hexdigest() != pin.replace(':', '').lower():
        raise PinError('the server certificate is not the pinned one')
    r = conn.getresponse()
    data = r.read().decode(errors='replace')
    conn.close()
    return r.status, dict(r.getheaders()), data


class Loss:
    """Drops every nth SRTP datagram the ICE transport hands up, once
    per (SSRC, sequence number), and watches for it to come again."""

    def __init__(self, every):
        self.every, self.n = every, 0
        self.dropped = {}      # (ssrc, seq) -> the bytes dropped
        self.recovered = {}    # (ssrc, seq) -> identical?

    def install(self, ice):
        recv = ice._recv

        async def lossy_recv():
            while True:
                data = await recv()
                if not (len(data) >= 12 and 128 <= data[0] < 192 and not 192 <= data[1] <= 223):
                    return data  # not SRTP (DTLS, STUN, SRTCP)
                k = (int.from_bytes(data[8:12], 'big'), int.from_bytes(data[2:4], 'big'))
                if k in self.dropped:
                    self.recovered.setdefault(k, data == self.dropped[k])
                    return data
                self.n += 1
                if self.n % self.every:
                    return data
                self.dropped[k] = data
        ice._recv = lossy_recv

    def pending(self):
        return len(self.dropped) - len(self.recovered)

    def report(self):
        return {'dropped': len(self.dropped), 'recovered': len(self.recovered),
                'identical': sum(self.recovered.values()),
                'missing': sorted(k[1] for k in self.dropped if k not in self.recovered)}


class Colour(VideoStreamTrack):
    """A picture of one colour, with the frame number in its top rows (so
    frames differ), at 30 frames a second."""

    def __init__(self, rgb):
        super().__init__()
        self.rgb = rgb
        self.n = 0

    async def recv(self):
        pts, base = await self.next_timestamp()
        img = numpy.empty((240, 320, 3), numpy.uint8)
        img[:, :] = self.rgb
        img[:8, :] = (self.n * 7) % 256
        self.n += 1
        f = VideoFrame.from_ndarray(img, format='rgb24')
        f.pts, f.time_base = pts, base
        return f


async def dtls_state_after_close(pc, seconds):
    """The receiver's DTLS transport state once it is 'closed' (a
    close_notify came), or after seconds. aiortc 1.4 keeps connectionState
    'connected' while ICE is up even after the DTLS peer closed; the DTLS
    transport's own state says it."""
    dtls = pc.getReceivers()[0].transport
    deadline = time.monotonic() + seconds
    while dtls.state != 'closed' and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return dtls.state


async def whep(a):
    pc = RTCPeerConnection()
    pc.addTransceiver('video', direction='recvonly')
    out = {'frames': 0, 'keyframes': 0}
    got = asyncio.get_event_loop().create_future()
    connected = {}

    @pc.on('connectionstatechange')
    def on_state():
        if pc.connectionState == 'connected' and 'at' not in connected:
            connected['at'] = time.monotonic()  # ICE and DTLS done

    @pc.on('track')
    def on_track(track):
        async def read():
            try:
                while out['frames'] < a.frames:
                    frame = await track.recv()
                    if out['frames'] == 0:
                        now = time.monotonic()
                        out['first_frame_s'] = round(now - out['answered_at'], 3)
                        if 'at' in connected:
                            out['first_frame_after_dtls_s'] = round(now - connected['at'], 3)
                    out['frames'] += 1
                    if getattr(frame, 'key_frame', False):
                        out['keyframes'] += 1
                    img = frame.to_ndarray(format='rgb24')
                    out['mean_rgb'] = [int(round(float(img[16:, :, c].mean()))) for c in range(3)]
            except Exception as e:  # the track ended
                out['error'] = '%s: %s' % (type(e).__name__, e)
            if not got.done():
                got.set_result(True)
        asyncio.ensure_future(read())

    await pc.setLocalDescription(await pc.createOffer())
    loss = None
    if a.drop_every:
        loss = Loss(a.drop_every)
        loss.install(pc.getReceivers()[0].transport.transport)
    status, headers, body = https('POST', a.url, a.token, a.pin, pc.localDescription.sdp, 'application/sdp')
    out['status'] = status
    if status != 201:
        out['reason'] = body.strip()
        await pc.close()
        return out
    out['location'] = headers.get('Location') or headers.get('location')
    out['answer'] = body
    out['answered_at'] = time.monotonic()
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type='answer'))
    try:
        await asyncio.wait_for(got, a.timeout)
    except asyncio.TimeoutError:
        out['error'] = 'timeout after %d frames' % out['frames']
    del out['answered_at']
    if loss is not None:
        # a loss near the end is NACKed with the next packet: give it time
        deadline = time.monotonic() + 3
        while loss.pending() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        out['loss'] = loss.report()
    if a.hold:
        # the test looks at the live session, then says go on (a line on stdin)
        print(json.dumps(out), flush=True)
        line = await asyncio.get_event_loop().run_in_executor(None, sys.stdin.readline)
    if a.hold and line.strip() != 'delete':  # 'delete': straight to DELETE
        out['dtls_while_held'] = await dtls_state_after_close(pc, 3)
    if not a.keep:
        base = urllib.parse.urlsplit(a.url)
        st, _, _ = https('DELETE', '%s://%s%s' % (base.scheme, base.netloc, out['location']), a.token, a.pin)
        out['delete_status'] = st
        if st in (200, 202) and 'dtls_while_held' not in out:
            # the gateway ends the session with a close_notify (a test may
            # have stopped it for a while: a generous bound)
            out['dtls_after_delete'] = await dtls_state_after_close(pc, 15)
    await pc.close()
    return out


async def whip(a):
    pc = RTCPeerConnection()
    track = Colour(tuple(int(x) for x in a.colour.split(',')))
    tr = pc.addTransceiver(track, direction='sendonly')
    sender = tr.sender
    if a.codec:
        tr.setCodecPreferences([c for c in RTCRtpSender.getCapabilities('video').codecs
                                if c.mimeType.lower() in ('video/' + a.codec.lower(), 'video/rtx')])
    out = {}
    await pc.setLocalDescription(await pc.createOffer())
    status, headers, body = https('POST', a.url, a.token, a.pin, pc.localDescription.sdp, 'application/sdp')
    out['status'] = status
    if status != 201:
        out['reason'] = body.strip()
        await pc.close()
        return out
    out['location'] = headers.get('Location') or headers.get('location')
    await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type='answer'))
    # ready: the test reads this line while the camera goes on sending
    print(json.dumps({'status': status, 'location': out['location']}), flush=True)
    await asyncio.sleep(a.seconds)
    out['frames_sent'] = track.n
    del sender
    await pc.close()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['whep', 'whip'])
    p.add_argument('url')
    p.add_argument('token')
    p.add_argument('--pin', required=True)
    p.add_argument('--frames', type=int, default=30)
    p.add_argument('--timeout', type=float, default=20)
    p.add_argument('--keep', action='store_true')
    p.add_argument('--drop-every', type=int, default=0,
                   help='whep: lose every Nth SRTP packet (its first arrival)')
    p.add_argument('--hold', action='store_true',
                   help='whep: print the result, wait for a line on stdin, then DELETE')
    p.add_argument('--colour', default='255,0,0')
    p.add_argument('--seconds', type=float, default=30)
    p.add_argument('--codec', help='whip: offer only this codec (VP8, H264)')
    p.add_argument('--no-nominate', action='store_true',
                   help='whep: checks without USE-CANDIDATE (a peer that has not nominated yet)')
    a = p.parse_args()
    if a.no_nominate:
        import aioice.ice
        build = aioice.ice.Connection.build_request

        def unnominated(self, pair, nominate):
            return build(self, pair, nominate=False)
        aioice.ice.Connection.build_request = unnominated
    out = asyncio.run(whep(a) if a.mode == 'whep' else whip(a))
    print(json.dumps(out), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
