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


def sdp(origin, port, key, codec='MJPEG'):
    """What a viewer's ffmpeg is told: MJPEG (payload type 26) or VP8
    (payload type 96) on port, SRTP with key."""
    media = ['m=video %d RTP/AVP 26' % port] if codec == 'MJPEG' else [
        'm=video %d RTP/AVP %d' % (port, VP8_PT), 'a=rtpmap:%d VP8/90000' % VP8_PT]
    return '\n'.join([
        'v=0', 'o=- 0 0 IN IP4 %s' % origin, 's=srtpgw', 'c=IN IP4 %s' % origin, 't=0 0'] + media +
        ['a=crypto:1 %s inline:%s' % (SUITE, b64(key)), ''])


# ---- VP8: what browsers decode over WebRTC (MJPEG they do not) ----------------
VP8_PT = 96


def vp8_file_cmd(src, rate, path):
    """Encode a lavfi source to a VP8 file (IVF), a keyframe a second, no
    hidden (alt-ref) frames: a camera's bitstream, sent as it is by
    vp8_camera_cmd and decoded locally by decode_cmd for the reference, so
    that a viewer that got every packet decodes exactly the reference's
    frames."""
    return FFMPEG + src + ['-c:v', 'libvpx', '-deadline', 'good', '-cpu-used', '4', '-b:v', '800k',
                           '-g', str(rate), '-auto-alt-ref', '0', '-lag-in-frames', '0', '-f', 'ivf', path]


def vp8_camera_cmd(path, key, dest, port):
    """Send a VP8 file at its own rate as SRTP (payload type 96), in
    ffmpeg's own packet size (up to 1472 bytes: the MTU's worth): a
    browser viewing it gets AES_CM_128_HMAC_SHA1_80 like the camera's, so
    its tag fits (AES-GCM's 16 bytes would not: drop_too_big)."""
    return FFMPEG + ['-re', '-i', path, '-c', 'copy', '-f', 'rtp', '-payload_type', str(VP8_PT),
                     '-srtp_out_suite', SUITE, '-srtp_out_params', b64(key),
                     'srtp://%s:%d' % (dest, port)]


def decode_cmd(path, out_pattern):
    """Every frame of a video file as PNG files."""
    return FFMPEG + ['-i', path, '-fps_mode', 'passthrough', out_pattern]


def rgb_of_png(path, size):
    """A PNG's top-left size[0] x size[1] pixels, rgb24 (bytes), decoded by
    ffmpeg; None if the file does not decode or is smaller."""
    r = subprocess.run(FFMPEG[:-1] + ['error', '-i', path, '-vf', 'crop=%d:%d:0:0' % size, '-frames:v', '1',
                                      '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0 or len(r.stdout) != size[0] * size[1] * 3:
        return None
    return r.stdout


def best_psnr(frame, refs, step=31):
    """The highest PSNR (dB, every step-th byte) of frame against any of
    refs: how close it is to the nearest of them."""
    return max((psnr(frame, r, step) for r in refs), default=0.0)


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
    ended by itself. Its pipes are closed either way."""
    try:
        p.wait(timeout)
        return True
    except subprocess.TimeoutExpired:
        pass
    finally:
        if p.poll() is None:
            for sig in (p.terminate, p.kill):
                if p.poll() is None:
                    sig()
                try:
                    p.wait(3)
                    break
                except subprocess.TimeoutExpired:
                    pass
        for f in (p.stdin, p.stdout, p.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass  # stdin's unwritten bytes: the reader is gone
    return False
