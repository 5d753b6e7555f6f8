#!/usr/bin/python3
"""A WebRTC display for the isolation scenario's WebRTC phase
(docs/isolation.md, "WebRTC displays"): aiortc, an implementation
independent of srtpgw, watching streams over WHEP at one address of the
displays' namespace, and telling the scenario its own SRTP keys so that
the checker can decrypt what this display received.

It reads commands on stdin and answers each with one JSON line on stdout
(nothing else goes to stdout; keys go nowhere else, never to a log):

  {"cmd": "attach", "url": URL, "token": TOKEN}
      WHEP (POST the offer with the token), ICE and DTLS. Answers the
      HTTP status; on 201 once DTLS completed: "location", "suite", the
      SRTP master key+salt the display receives under ("rx_key", the
      gateway's: it is the DTLS server) and sends its RTCP under
      ("tx_key", its own), both hex, exported by export_srtp_keys(), and
      "t_post", "t_live" (CLOCK_MONOTONIC ns: before the POST, at DTLS).
  {"cmd": "stats"}     RTP and RTCP packets aiortc decrypted in this
                       session, and its DTLS state.
  {"cmd": "closed", "timeout": S}
                       waits until the gateway ended the session (its
                       DTLS close_notify): "closed" true/false, and
                       "t_closed" (CLOCK_MONOTONIC ns) when it was.
  {"cmd": "detach"}    DELETE of the session (its status: 200, or 404 if
                       the gateway ended it already), then closes it.
  {"cmd": "quit"}      closes everything and exits.

  webrtc_display.py --address 10.90.2.1 --pin SHA256HEX

--address is the only address the display's ICE agent offers (aioice
would offer every address of the namespace); the certificate of the HTTPS
API is pinned (the daemon's self-signed one).
"""
import argparse
import asyncio
import json
import os
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))

# DTLS-SRTP protection profiles (RFC 5764 4.1.2, RFC 7714 14.2), by their
# OpenSSL names: srtpcheck's suite name, master key and salt lengths
PROFILES = {
    'SRTP_AES128_CM_SHA1_80': ('AES_CM_128_HMAC_SHA1_80', 16, 14),
    'SRTP_AES128_CM_SHA1_32': ('AES_CM_128_HMAC_SHA1_32', 16, 14),
    'SRTP_AEAD_AES_128_GCM': ('AEAD_AES_128_GCM', 16, 12),
    'SRTP_AEAD_AES_256_GCM': ('AEAD_AES_256_GCM', 32, 12),
}
EXPORTER_LABEL = b'EXTRACTOR-dtls_srtp'


def split_keying_material(km, key_len, salt_len):
    """RFC 5764 4.2: the exporter's output is client_write_SRTP_master_key,
    server_write_SRTP_master_key, client_write_SRTP_master_salt,
    server_write_SRTP_master_salt. Returns (client key+salt, server
    key+salt), each as libsrtp and srtpcheck take a master key."""
    assert len(km) == 2 * (key_len + salt_len)
    ck, sk = km[:key_len], km[key_len:2 * key_len]
    cs, ss = km[2 * key_len:2 * key_len + salt_len], km[2 * key_len + salt_len:]
    return ck + cs, sk + ss


def export_srtp_keys(dtls):
    """The SRTP keys of an aiortc RTCDtlsTransport whose handshake is done,
    from its own DTLS session (pyOpenSSL): the negotiated profile's suite
    and (client write key+salt, server write key+salt). The exporter is
    deterministic: these are the keys aiortc itself derived."""
    from OpenSSL import SSL
    conn = dtls.ssl
    p = SSL._lib.SSL_get_selected_srtp_profile(conn._ssl)
    if p == SSL._ffi.NULL:
        raise ValueError('no DTLS-SRTP profile was negotiated')
    name = SSL._ffi.string(p.name).decode()
    suite, key_len, salt_len = PROFILES[name]
    km = conn.export_keying_material(EXPORTER_LABEL, 2 * (key_len + salt_len))
    client, server = split_keying_material(km, key_len, salt_len)
    return suite, client, server


class Counting:
    """aiortc's SRTP receive session, counting what it decrypted."""

    def __init__(self, sess):
        self.sess, self.rtp, self.rtcp = sess, 0, 0

    def unprotect(self, data):
        out = self.sess.unprotect(data)
        self.rtp += 1
        return out

    def unprotect_rtcp(self, data):
        out = self.sess.unprotect_rtcp(data)
        self.rtcp += 1
        return out


def only_address(address):
    """aioice offers this address alone as its host candidate."""
    import aioice.ice
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [address]


class Display:
    def __init__(self, pin):
        self.pin = pin
        self.pc = self.dtls = self.counting = None
        self.location = self.base = self.token = None
        self.live = self.t_closed = None

    async def http(self, method, url, body=None, ctype=None):
        from webrtc_peer import https
        return await asyncio.get_event_loop().run_in_executor(
            None, lambda: https(method, url, self.token, self.pin, body, ctype))

    async def attach(self, url, token, timeout=20):
        from aiortc import RTCPeerConnection, RTCSessionDescription
        if self.pc is not None:
            await self.close()
        self.token = token
        pc = self.pc = RTCPeerConnection()
        tr = pc.addTransceiver('video', direction='recvonly')
        dtls = self.dtls = tr.receiver.transport
        self.t_closed = None
        closed = self.closed_ev = asyncio.Event()
        live = self.live = asyncio.get_event_loop().create_future()
        out = {}

        @dtls.on('statechange')
        def on_state():
            # synchronous, right after the handshake and before aiortc
            # reads the first SRTP packet: the keys, and a count of what
            # aiortc decrypts from now on
            if dtls.state == 'connected' and not live.done():
                self.counting = dtls._rx_srtp = Counting(dtls._rx_srtp)
                live.set_result(export_srtp_keys(dtls))
            elif dtls.state == 'closed' and self.t_closed is None:
                self.t_closed = time.monotonic_ns()
                closed.set()
            if dtls.state in ('failed', 'closed') and not live.done():
                live.set_exception(RuntimeError('DTLS ' + dtls.state))

        await pc.setLocalDescription(await pc.createOffer())
        out['t_post'] = time.monotonic_ns()
        status, headers, body = await self.http('POST', url, pc.localDescription.sdp, 'application/sdp')
        out['status'] = status
        if status != 201:
            out['reason'] = body.strip()
            await self.close()
            return out
        u = urllib.parse.urlsplit(url)
        self.base = '%s://%s' % (u.scheme, u.netloc)
        self.location = out['location'] = headers.get('Location') or headers.get('location')
        await pc.setRemoteDescription(RTCSessionDescription(sdp=body, type='answer'))
        try:
            suite, client, server = await asyncio.wait_for(asyncio.shield(live), timeout)
        except Exception as e:
            out['error'] = 'no DTLS: %s: %s' % (type(e).__name__, e)
            return out
        out['t_live'] = time.monotonic_ns()
        # the gateway is the DTLS server (a=setup:passive): it protects
        # media under the server write key, we our RTCP under the client's
        out.update(suite=suite, rx_key=server.hex(), tx_key=client.hex())
        return out

    def stats(self):
        c = self.counting
        return {'rtp': c.rtp if c else 0, 'rtcp': c.rtcp if c else 0,
                'dtls': self.dtls.state if self.dtls else None}

    async def closed(self, timeout):
        if self.dtls is not None:
            try:
                await asyncio.wait_for(self.closed_ev.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        return {'closed': self.t_closed is not None, 't_closed': self.t_closed}

    async def detach(self):
        out = self.stats()
        if self.location:
            out['status'], _, _ = await self.http('DELETE', self.base + self.location)
        out['t_deleted'] = time.monotonic_ns()
        await self.close()
        return out

    async def close(self):
        if self.pc is not None:
            await self.pc.close()
        self.pc = self.dtls = self.counting = self.location = None


async def serve(a):
    only_address(a.address)
    d = Display(a.pin)
    loop = asyncio.get_event_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            break
        cmd = json.loads(line)
        try:
            if cmd['cmd'] == 'attach':
                out = await d.attach(cmd['url'], cmd['token'], cmd.get('timeout', 20))
            elif cmd['cmd'] == 'stats':
                out = d.stats()
            elif cmd['cmd'] == 'closed':
                out = await d.closed(cmd.get('timeout', 5))
            elif cmd['cmd'] == 'detach':
                out = await d.detach()
            elif cmd['cmd'] == 'quit':
                break
            else:
                out = {'error': 'unknown command %r' % cmd['cmd']}
        except Exception as e:
            out = {'error': '%s: %s' % (type(e).__name__, e)}
        print(json.dumps(out), flush=True)
    await d.close()


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--address', required=True)
    p.add_argument('--pin', required=True)
    asyncio.run(serve(p.parse_args()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
