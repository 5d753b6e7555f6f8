"""ffmpeg as a real SRTP camera and viewer (see ../shared/FACTS.md), shared
by the end-to-end tests and scripts/demo."""
import math
import os
import subprocess

from sgwtest import b64

FFMPEG = ['ffmpeg', '-hide_banner', '-nostdin', '-loglevel', 'warning']
SUITE = 'AES_CM_128_HMAC_SHA1_80'


def source(lavfi, size, rate, seconds):
    """ffmpeg input arguments for a lavfi test source ("testsrc", "smptebars"...)."""
    return ['-f', 'lavfi', '-i', '%s=size=%dx%d:rate=%d' % (lavfi, size[0], size[1], rate),
            '-t', str(seconds)]


def mjpeg(qv):
    """The camera's encoder. Without -huffman 0 the RTP JPEG packetiser
    refuses the frames; without -force_duplicated_matrix 1 ffmpeg's own RTP
    JPEG receiver drops them."""
    return ['-pix_fmt', 'yuvj420p', '-c:v', 'mjpeg', '-huffman', '0',
            '-force_duplicated_matrix', '1', '-q:v', str(qv)]


def camera_cmd(src, qv, key, dest, port):
    return FFMPEG + ['-re'] + src + mjpeg(qv) + [
        '-f', 'rtp', '-srtp_out_suite', SUITE, '-srtp_out_params', b64(key),
        'srtp://%s:%d' % (dest, port)]


def reference_cmd(src, qv, out_pattern):
    """The camera's frames, encoded and decoded locally (no network): what a
    viewer that got every packet decodes."""
    return ['sh', '-c', ' '.join(
        FFMPEG + src + mjpeg(qv) + ['-f', 'mjpeg', '-', '|'] +
        FFMPEG + ['-f', 'mjpeg', '-i', '-', '-fps_mode', 'passthrough', out_pattern])]


def reference_cmds(src, qv, out_pattern):
    """reference_cmd as two commands (encoder, decoder) to connect with a
    pipe, so that each can be stopped by its PID (stopping sh -c would
    leave them running)."""
    return (FFMPEG + src + mjpeg(qv) + ['-f', 'mjpeg', '-'],
            FFMPEG + ['-f', 'mjpeg', '-i', '-', '-fps_mode', 'passthrough', out_pattern])


def sdp(origin, port, key):
    """What a viewer's ffmpeg is told: MJPEG (payload type 26) on port, SRTP
    with key."""
    return '\n'.join([
        'v=0', 'o=- 0 0 IN IP4 %s' % origin, 's=srtpgw', 'c=IN IP4 %s' % origin, 't=0 0',
        'm=video %d RTP/AVP 26' % port, 'a=crypto:1 %s inline:%s' % (SUITE, b64(key)), ''])


def viewer_cmd(sdp_path, idle_s, frames, out_pattern):
    return FFMPEG + ['-listen_timeout', str(idle_s), '-protocol_whitelist', 'file,udp,rtp,srtp',
                     '-i', sdp_path, '-fps_mode', 'passthrough', '-frames:v', str(frames), out_pattern]


def rgb_frames(pattern, size):
    """The PNG files matching pattern (%04d), decoded to rgb24 by ffmpeg: a
    list of frames (bytes)."""
    frame_bytes = size[0] * size[1] * 3
    if not os.path.exists(pattern % 1):
        return []
    r = subprocess.run(FFMPEG[:-1] + ['error', '-i', pattern, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    assert len(r.stdout) % frame_bytes == 0, 'odd rgb24 size %d' % len(r.stdout)
    return [r.stdout[i:i + frame_bytes] for i in range(0, len(r.stdout), frame_bytes)]


def psnr(a, b, step=1):
    se = sum((x - y) * (x - y) for x, y in zip(a[::step], b[::step]))
    if se == 0:
        return math.inf
    return 10 * math.log10(255 * 255 * len(a[::step]) / se)


def stop(p, timeout):
    """Wait up to timeout for p to end by itself, then stop it by PID:
    SIGTERM (ffmpeg may ignore the first), then SIGKILL. Returns True if it
    ended by itself."""
    try:
        p.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        pass
    for sig in (p.terminate, p.kill):
        if p.poll() is None:
            sig()
        try:
            p.wait(3)
            break
        except subprocess.TimeoutExpired:
            pass
    return False
