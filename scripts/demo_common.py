"""What scripts/demo.py and scripts/demo_fleet.py share: the output
directory's lock, the cameras (a VP8 file made first, sent as SRTP by
ffmpeg), the viewers (ffmpeg decoding their SRTP to PNG files), and which
camera a picture shows."""
import fcntl
import glob
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))
from sgwtest import wait_for  # noqa: E402
import media  # noqa: E402

SIZE, RATE = (320, 240), 10
# a display shows its owner's camera: its picture is at least this close to
# one of that camera's frames (PSNR, dB) and this much closer than to any
# of the other camera's (testsrc and smptebars: about 10 dB apart at best)
SHOWS_DB, MARGIN_DB = 20.0, 6.0


def say(*a):
    print(*a, flush=True)


class OutputInUse(Exception):
    pass


def lock_output(out, stale):
    """Make out (if needed) and lock it for this run: an open file that
    holds the lock until the process ends. Raises OutputInUse if another
    demo holds it. stale: the names in out that an earlier run left
    (directories or files), removed."""
    os.makedirs(out, exist_ok=True)
    f = open(os.path.join(out, '.lock'), 'a+')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or '?'
        f.close()
        raise OutputInUse('%s is in use by another demo (pid %s): give this one --out DIR' % (out, holder))
    f.truncate(0)
    f.write('%d\n' % os.getpid())
    f.flush()
    for name in os.listdir(out):
        if name in stale:
            path = os.path.join(out, name)
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
    return f


def save_frames(frames_dir, dest, keep=3):
    """Copy the first, middle and last PNG that a viewer decoded (the
    files that are there, not numbers worked out from a count) to
    dest/frame-N.png; returns how many were saved."""
    files = sorted(glob.glob(os.path.join(frames_dir, '[0-9]*.png')))
    os.makedirs(dest, exist_ok=True)
    picks = sorted({0, len(files) // 2, len(files) - 1})[:keep] if files else []
    for k, i in enumerate(picks):
        shutil.copy(files[i], os.path.join(dest, 'frame-%d.png' % (k + 1)))
    return len(picks)


def viewers_without_png(out, hosts):
    """The viewers whose directory in out holds no PNG."""
    return [h for h in hosts if not glob.glob(os.path.join(out, h, '*.png'))]


def whose_picture(png, refs, shows_db=SHOWS_DB, margin_db=MARGIN_DB):
    """Which camera a PNG (a display's screenshot: the video at its top
    left, or a picture) shows: (owner or None, {owner: best PSNR in dB}).
    refs: {owner: [rgb24 frames]}. An owner is named only if the picture is
    within shows_db of one of its frames and margin_db closer than to any
    other camera's."""
    rgb = media.rgb_of_png(png, SIZE)
    if rgb is None:
        return None, {}
    score = {o: media.best_psnr(rgb, frames) for o, frames in refs.items()}
    best = max(score, key=score.get)
    others = [v for o, v in score.items() if o != best]
    ok = score[best] >= shows_db and all(score[best] >= v + margin_db for v in others)
    return (best if ok else None), score


def camera_file(work, name, src, seconds):
    """A camera's VP8 (a lavfi source, e.g. testsrc) as work/cam-NAME.ivf,
    and its frames decoded here: what a viewer that got every packet must
    decode. Returns (the file, [rgb24 frames])."""
    ivf = os.path.join(work, 'cam-%s.ivf' % name)
    subprocess.run(media.vp8_file_cmd(media.source(src, SIZE, RATE, seconds), RATE, ivf),
                   stdin=subprocess.DEVNULL, check=True, timeout=120)
    refs = os.path.join(work, 'ref-' + name)
    os.makedirs(refs)
    subprocess.run(media.decode_cmd(ivf, os.path.join(refs, '%04d.png')),
                   stdin=subprocess.DEVNULL, check=True, timeout=120)
    return ivf, media.rgb_frames(os.path.join(refs, '%04d.png'), SIZE)


def start_camera(res, ns, ivf, key, dest, port):
    """ffmpeg in namespace ns sending ivf at its own rate as SRTP with key
    to dest:port; stopped by its PID with res."""
    c = ns.popen(*media.vp8_camera_cmd(ivf, key, dest, port), stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    res.add(media.stop, c, 0)
    return c


def start_viewer(res, ns, work, host, origin, port, key, frames, idle_s=5):
    """ffmpeg in namespace ns receiving VP8 as SRTP with key on port (from
    origin), decoding up to frames frames to work/HOST/NNNN.png, its
    warnings to work/HOST.log; returns (the process, that directory) once
    it listens. Stopped by its PID with res."""
    sdp_path = os.path.join(work, host + '.sdp')
    with open(sdp_path, 'w') as f:
        f.write(media.sdp(origin, port, key, codec='VP8'))
    out = os.path.join(work, host)
    os.makedirs(out)
    with open(os.path.join(work, host + '.log'), 'w') as log:
        p = ns.popen(*media.viewer_cmd(sdp_path, idle_s, frames, os.path.join(out, '%04d.png')),
                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log)
    res.add(media.stop, p, 0)
    wait_for(lambda: ns.run('ss', '-Hlun', 'sport = :%d' % port).stdout.strip(), 10,
             host + ' to listen', interval=0.05)
    return p, out
