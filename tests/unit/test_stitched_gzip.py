"""Gzip stitched from pieces deflated apart and parts stored: one valid member, any sizes."""

from __future__ import annotations

import gzip
import os
import zlib

from shop.stitched_gzip import deflate, member


def test_pieces_and_stored_parts_of_any_size_make_one_gzip_member():
    page = b"<p>Apply SPF50 every morning for a fortnight.</p>" * 400
    parts = [
        (page, deflate(page)),
        (os.urandom(90), None),  # a token
        (b"", None),
        (b"", deflate(b"")),
        (os.urandom(70_000), None),  # longer than one stored block holds
        (page[:7], deflate(page[:7])),
    ]
    body = member(parts)
    assert gzip.decompress(body) == b"".join(text for text, _ in parts)
    # Exactly one member, ended where the body ends (checksum and length in its trailer).
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    reader.decompress(body)
    assert reader.eof and reader.unused_data == b""
    # The deflated piece is compressed; the stored parts are sent as they are.
    assert len(body) < len(page) / 5 + 70_000 + 200


def test_a_piece_may_refer_back_into_the_text_before_a_fixed_width_part():
    card = b'<article class="card"><h2>Barrier Balm</h2><form method="post">' * 3
    token = b"t" * 40
    before = card + b"\0" * len(token)  # the part as the piece was deflated to expect it
    alone, after = deflate(card), deflate(card, preceding=before)
    assert len(after) < len(alone) / 2
    body = member([(card, deflate(card)), (token, None), (card, after)])
    assert gzip.decompress(body) == card + token + card
