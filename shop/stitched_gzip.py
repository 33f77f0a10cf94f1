"""Gzip bodies stitched together from pieces deflated once and parts sent as they are.

A shared page is the same for every visitor but for a few small holes (each form's masked
token, the basket badge, the account menu). Compressing the whole page again for each request
cost several times more than serving it (1-2 ms with Brotli for an 80 KB page). Instead each
shared piece is deflated once, when the page is cached, and ends on a byte boundary (a sync
flush, which writes no final block), and a request's holes go between the pieces as stored
blocks. A piece refers back only into itself or into the static text before it at a fixed
distance, so the concatenation is one valid deflate stream. Holes are never compressed, so no
token and nothing a visitor sent is ever compressed beside other text (BREACH). A request
copies bytes and works out the CRC-32 that closes a gzip member (RFC 1952).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable

# A gzip member's header: deflate, no flags, no time, no extra flags, unknown system.
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# An empty final block with fixed codes: ends the deflate stream after the last piece.
_FINAL_BLOCK = b"\x03\x00"
# The most a stored block holds (its length field has 16 bits).
_STORED_MAX = 0xFFFF


# How far back deflate may refer: a longer preceding text is cut to its end.
WINDOW = 1 << zlib.MAX_WBITS


def deflate(data: bytes, level: int = 9, preceding: bytes = b"") -> bytes:
    """Return `data` as raw deflate blocks, none of them final, ending on a byte boundary.

    `preceding` is the text that will come just before `data` in the stream, byte for byte
    where a reference may point: `data` may refer back into it, which is how pieces split by
    fixed-width holes still compress as one text (a hole's bytes must be ones `data` never
    contains, e.g. NULs, so that no reference can reach into them).
    """
    window = preceding[-WINDOW:]
    compressor = (
        zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS, zdict=window)
        if window
        else zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    )
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def stored(data: bytes) -> bytes:
    """Return `data` as stored (uncompressed) deflate blocks, none of them final."""
    blocks: list[bytes] = []
    for start in range(0, len(data), _STORED_MAX):
        chunk = data[start : start + _STORED_MAX]
        blocks += (struct.pack("<BHH", 0, len(chunk), len(chunk) ^ 0xFFFF), chunk)
    return b"".join(blocks)


def member(parts: Iterable[tuple[bytes, bytes | None]]) -> bytes:
    """Return one gzip member of the parts' text, in order.

    Each part is (text, its `deflate`d form) for a piece deflated before, or (text, None) for
    text to be sent stored.
    """
    body = [_HEADER]
    crc = size = 0
    for text, deflated in parts:
        crc = zlib.crc32(text, crc)
        size += len(text)
        body.append(stored(text) if deflated is None else deflated)
    body += (_FINAL_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(body)
