"""AES-ECB blocks and AES-GCM for srtpcheck.py straight from OpenSSL's
libcrypto through ctypes: the `cryptography` package costs ~20 us of Python
per cipher object, and the checker makes one or two per viewer key, thousands
a second. Falls back to `cryptography` when libcrypto cannot be loaded.

Ecb(key).encrypt(blocks) -> bytes; Gcm(key).encrypt(iv, plain, aad) ->
ciphertext || 16-byte tag; Gcm(key).decrypt(iv, ciphertext || tag, aad) ->
plain, or None if the tag is wrong.
"""
import ctypes
import ctypes.util
import threading

_EVP_CTRL_GCM_SET_IVLEN, _EVP_CTRL_GCM_GET_TAG, _EVP_CTRL_GCM_SET_TAG = 0x9, 0x10, 0x11

try:
    _lib = ctypes.CDLL(ctypes.util.find_library('crypto') or 'libcrypto.so.3')
    _P, _I = ctypes.c_void_p, ctypes.c_int
    for name, res, args in (
            ('EVP_CIPHER_CTX_new', _P, []),
            ('EVP_CIPHER_CTX_free', None, [_P]),
            ('EVP_CIPHER_CTX_set_padding', _I, [_P, _I]),
            ('EVP_CIPHER_CTX_ctrl', _I, [_P, _I, _I, _P]),
            ('EVP_EncryptInit_ex', _I, [_P, _P, _P, ctypes.c_char_p, ctypes.c_char_p]),
            ('EVP_DecryptInit_ex', _I, [_P, _P, _P, ctypes.c_char_p, ctypes.c_char_p]),
            ('EVP_EncryptUpdate', _I, [_P, _P, ctypes.POINTER(_I), ctypes.c_char_p, _I]),
            ('EVP_DecryptUpdate', _I, [_P, _P, ctypes.POINTER(_I), ctypes.c_char_p, _I]),
            ('EVP_EncryptFinal_ex', _I, [_P, _P, ctypes.POINTER(_I)]),
            ('EVP_DecryptFinal_ex', _I, [_P, _P, ctypes.POINTER(_I)]),
            ('EVP_CIPHER_fetch', _P, [_P, ctypes.c_char_p, ctypes.c_char_p])):
        f = getattr(_lib, name)
        f.restype, f.argtypes = res, args

    def _fetch(name):
        # fetched once: an init with a legacy EVP_aes_*() fetches each time
        c = _lib.EVP_CIPHER_fetch(None, name, None)
        if not c:
            raise OSError('EVP_CIPHER_fetch ' + name.decode())
        return c
    _ECB = {16: _fetch(b'AES-128-ECB'), 32: _fetch(b'AES-256-ECB')}
    _GCM = {16: _fetch(b'AES-128-GCM'), 32: _fetch(b'AES-256-GCM')}
    _scratch = ctypes.create_string_buffer(64)   # GCM's final step writes nothing
    # Output buffers and the length out-parameter are per thread: a ctypes
    # call lets go of the GIL, and the WebRTC phase derives keys, protects
    # and decrypts in three threads at once (one module-wide buffer gave a
    # thread another's bytes: wrong session keys, undecryptable packets).
    _tls = threading.local()

    def _out_buf(n):
        """This thread's reusable output buffer of at least n bytes (rounded
        up), and its length out-parameter (c_int, byref)."""
        t = _tls.__dict__
        bufs = t.get('bufs')
        if bufs is None:
            bufs = t['bufs'] = {}
            t['n'] = ctypes.c_int()
            t['n_ref'] = ctypes.byref(t['n'])
        n = (n + 2047) & ~2047
        b = bufs.get(n)
        if b is None:
            b = bufs[n] = ctypes.create_string_buffer(n)
        return b, t['n'], t['n_ref']
except (OSError, AttributeError):
    _lib = None


class _Ctx:
    __slots__ = ('ctx',)

    def __init__(self):
        self.ctx = _lib.EVP_CIPHER_CTX_new()
        if not self.ctx:
            raise MemoryError('EVP_CIPHER_CTX_new')

    def __del__(self):
        if self.ctx and _lib is not None:
            _lib.EVP_CIPHER_CTX_free(self.ctx)
            self.ctx = None


class _EcbC(_Ctx):
    __slots__ = ()

    def __init__(self, key):
        super().__init__()
        self.rekey(key)
        _lib.EVP_CIPHER_CTX_set_padding(self.ctx, 0)

    def rekey(self, key):
        if _lib.EVP_EncryptInit_ex(self.ctx, _ECB[len(key)], None, key, None) != 1:
            raise ValueError('AES key')

    def encrypt(self, data):
        out, n, n_ref = _out_buf(len(data) + 32)
        _lib.EVP_EncryptUpdate(self.ctx, out, n_ref, data, len(data))
        return ctypes.string_at(out, n.value)


class _GcmC(_Ctx):
    __slots__ = ()

    def __init__(self, key):
        super().__init__()
        if _lib.EVP_DecryptInit_ex(self.ctx, _GCM[len(key)], None, key, None) != 1:
            raise ValueError('AES key')
        _lib.EVP_CIPHER_CTX_ctrl(self.ctx, _EVP_CTRL_GCM_SET_IVLEN, 12, None)

    def decrypt(self, iv, data, aad):
        if len(data) < 16:
            return None
        ct = data[:-16]
        c = self.ctx
        # reused buffers (this thread's): this runs for every packet and
        # every wrong key
        out, n, n_ref = _out_buf(len(ct) + 16)
        _lib.EVP_DecryptInit_ex(c, None, None, None, iv)
        _lib.EVP_DecryptUpdate(c, None, n_ref, aad, len(aad))
        _lib.EVP_DecryptUpdate(c, out, n_ref, ct, len(ct))
        got = n.value
        _lib.EVP_CIPHER_CTX_ctrl(c, _EVP_CTRL_GCM_SET_TAG, 16, data[-16:])
        if _lib.EVP_DecryptFinal_ex(c, _scratch, n_ref) != 1:
            return None
        return ctypes.string_at(out, got)


class _GcmEncC(_Ctx):
    __slots__ = ()

    def __init__(self, key):
        super().__init__()
        if _lib.EVP_EncryptInit_ex(self.ctx, _GCM[len(key)], None, key, None) != 1:
            raise ValueError('AES key')
        _lib.EVP_CIPHER_CTX_ctrl(self.ctx, _EVP_CTRL_GCM_SET_IVLEN, 12, None)

    def encrypt(self, iv, plain, aad):
        c = self.ctx
        n = ctypes.c_int()
        _lib.EVP_EncryptInit_ex(c, None, None, None, iv)
        _lib.EVP_EncryptUpdate(c, None, ctypes.byref(n), aad, len(aad))
        out = ctypes.create_string_buffer(len(plain) + 32)
        _lib.EVP_EncryptUpdate(c, out, ctypes.byref(n), plain, len(plain))
        got = n.value
        _lib.EVP_EncryptFinal_ex(c, _scratch, ctypes.byref(n))
        tag = ctypes.create_string_buffer(16)
        _lib.EVP_CIPHER_CTX_ctrl(c, _EVP_CTRL_GCM_GET_TAG, 16, tag)
        return out.raw[:got] + tag.raw


class _EcbPy:
    def __init__(self, key):
        self.rekey(key)

    def rekey(self, key):
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        self.e = Cipher(algorithms.AES(key), modes.ECB()).encryptor()

    def encrypt(self, data):
        return self.e.update(data)


class _GcmPy:
    def __init__(self, key):
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        self.g = AESGCM(key)

    def decrypt(self, iv, data, aad):
        try:
            return self.g.decrypt(iv, data, aad)
        except Exception:
            return None

    def encrypt(self, iv, plain, aad):
        return self.g.encrypt(iv, plain, aad)


if _lib is not None:
    Ecb, Gcm, GcmEnc = _EcbC, _GcmC, _GcmEncC
else:
    Ecb, Gcm, GcmEnc = _EcbPy, _GcmPy, _GcmPy
