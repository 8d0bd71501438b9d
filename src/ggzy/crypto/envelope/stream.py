"""The chunked AEAD of the envelope (the STREAM construction): chunk ``i`` is sealed with the nonce
``prefix (7 random bytes) || i (4 bytes, big-endian) || last (1 byte)`` and the header digest as associated data, so
dropped, reordered, repeated, truncated or appended chunks fail authentication.

The AEAD is called through ``cryptography`` directly rather than :func:`ggzy.crypto.suites.aead_encrypt` because
STREAM needs a chosen nonce per chunk; the cipher and key sizes are the suite's. Opening makes exactly one AEAD call
per whole sealed chunk (``AESGCM.decrypt`` for INTL, which is about four times faster than the ``Cipher`` interface
on 1 MiB chunks; ``Cipher`` with SM4-GCM for GM, which has no one-shot interface) and copies nothing it need not.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ggzy.crypto.envelope.common import (
    DEFAULT_CHUNK_SIZE,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    read_exactly,
)
from ggzy.crypto.errors import DecryptionFailed
from ggzy.crypto.suites import TAG_SIZE, Suite, data_key_size


def _cipher(suite: Suite, key: bytes, nonce: bytes, tag: bytes | None = None) -> Cipher[modes.GCM]:
    algorithm = algorithms.SM4(key) if suite is Suite.GM else algorithms.AES256(key)
    return Cipher(algorithm, modes.GCM(nonce, tag))


def chunk_nonce(nonce_prefix: bytes, index: int, *, last: bool) -> bytes:
    """The 12-byte nonce of chunk ``index``: ``prefix (7) || index (4, big-endian) || last flag (1)``."""
    if not 0 <= index < MAX_CHUNKS:
        raise ValueError("too many chunks")
    return nonce_prefix + index.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def check_stream_parameters(suite: Suite, data_key: bytes, nonce_prefix: bytes, chunk_size: int) -> None:
    if len(data_key) != data_key_size(suite):
        raise ValueError(f"{suite} needs a {data_key_size(suite)}-byte data key")
    if len(nonce_prefix) != NONCE_PREFIX_SIZE:
        raise ValueError(f"the nonce prefix is {NONCE_PREFIX_SIZE} bytes")
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise ValueError(f"chunk size must be between {MIN_CHUNK_SIZE} and {MAX_CHUNK_SIZE} bytes")


class StreamSealer:
    """Encrypt a plaintext pushed with :meth:`write` into STREAM chunks, each handed to ``sink`` as it is sealed.

    Holds at most one chunk of plaintext: the last chunk is only known when :meth:`close` is called, so a full chunk
    waits until more data arrives.
    """

    def __init__(
        self,
        *,
        suite: Suite,
        data_key: bytes,
        nonce_prefix: bytes,
        associated_data: bytes,
        sink: Callable[[bytes], object],
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> None:
        check_stream_parameters(suite, data_key, nonce_prefix, chunk_size)
        self._suite = suite
        self._key = data_key
        self._prefix = nonce_prefix
        self._associated_data = associated_data
        self._sink = sink
        self._chunk_size = chunk_size
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        self.plaintext_size = 0

    def _seal(self, chunk: bytes | bytearray, *, last: bool) -> None:
        encryptor = _cipher(self._suite, self._key, chunk_nonce(self._prefix, self._index, last=last)).encryptor()
        encryptor.authenticate_additional_data(self._associated_data)
        sealed = encryptor.update(chunk) + encryptor.finalize()
        self._sink(sealed + encryptor.tag)
        self._index += 1

    def write(self, data: bytes | bytearray | memoryview) -> int:
        if self._closed:
            raise ValueError("write to a closed sealer")
        self._buffer += data
        self.plaintext_size += len(data)
        # '>' not '>=': a full chunk may be the last one, which only close() can tell.
        while len(self._buffer) > self._chunk_size:
            self._seal(self._buffer[: self._chunk_size], last=False)
            del self._buffer[: self._chunk_size]
        return len(data)

    def close(self) -> None:
        if not self._closed:
            self._seal(self._buffer, last=True)
            self._buffer = bytearray()
            self._closed = True


def seal_stream(
    plaintext: Iterable[bytes],
    *,
    suite: Suite,
    data_key: bytes,
    nonce_prefix: bytes,
    associated_data: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> Iterator[bytes]:
    """Encrypt pieces of plaintext (of any sizes) into sealed chunks of ``chunk_size + 16`` bytes (the last shorter).

    To write to a file: ``for chunk in seal_stream(...): out.write(chunk)``. Memory stays at about one chunk.
    """
    pending: list[bytes] = []
    sealer = StreamSealer(
        suite=suite,
        data_key=data_key,
        nonce_prefix=nonce_prefix,
        associated_data=associated_data,
        sink=pending.append,
        chunk_size=chunk_size,
    )
    for piece in plaintext:
        sealer.write(piece)
        yield from pending
        pending.clear()
    sealer.close()
    yield from pending


def _chunk_opener(suite: Suite, data_key: bytes, associated_data: bytes) -> Callable[[bytes, bytes], bytes]:
    """``open(nonce, sealed chunk) -> plaintext``, one AEAD call per chunk; raises InvalidTag."""
    if suite is Suite.INTL:
        aead = AESGCM(data_key)
        return lambda nonce, sealed: aead.decrypt(nonce, sealed, associated_data)

    def open_sm4(nonce: bytes, sealed: bytes) -> bytes:
        view = memoryview(sealed)
        decryptor = _cipher(suite, data_key, nonce, sealed[-TAG_SIZE:]).decryptor()
        decryptor.authenticate_additional_data(associated_data)
        return decryptor.update(view[:-TAG_SIZE]) + decryptor.finalize()

    return open_sm4


def open_stream(
    ciphertext: BinaryIO,
    *,
    suite: Suite,
    data_key: bytes,
    nonce_prefix: bytes,
    associated_data: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_sealed: Callable[[bytes], object] | None = None,
) -> Iterator[bytes]:
    """Decrypt sealed chunks read from ``ciphertext`` to its end, yielding each chunk's plaintext once authenticated.

    A wrong key or associated data, a changed byte, or a dropped, reordered, repeated, truncated or appended chunk
    raises :class:`DecryptionFailed` (at the latest when the end of the stream is reached: a consumer must read the
    iterator to its end before trusting what it got). ``on_sealed`` sees every sealed chunk as read (to hash the
    ciphertext in the same pass).
    """
    check_stream_parameters(suite, data_key, nonce_prefix, chunk_size)
    open_chunk = _chunk_opener(suite, data_key, associated_data)
    sealed_size = chunk_size + TAG_SIZE
    current = read_exactly(ciphertext, sealed_size)
    index = 0
    while True:
        # One chunk of look-ahead: the chunk read just before the end is the last one (flag 1).
        following = read_exactly(ciphertext, sealed_size) if len(current) == sealed_size else b""
        last = not following
        if len(current) < TAG_SIZE or index >= MAX_CHUNKS:
            raise DecryptionFailed()
        if on_sealed is not None:
            on_sealed(current)
        try:
            plaintext = open_chunk(chunk_nonce(nonce_prefix, index, last=last), current)
        except InvalidTag as error:
            raise DecryptionFailed() from error
        yield plaintext
        if last:
            return
        current = following
        index += 1
