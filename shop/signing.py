"""Signed, URL-safe payloads as itsdangerous writes them, without zlib for short ones."""

from __future__ import annotations

from typing import Any

from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes

# itsdangerous tries zlib on every payload and keeps the result when it is shorter. Setting
# zlib up costs about 35 µs, more than the signing itself, and a short payload (a session
# with a form token, the token itself: random hex) never gets shorter anyway.
COMPRESS_FROM_BYTES = 1024


class LeanTimedSerializer(URLSafeTimedSerializer):
    """itsdangerous's URL-safe timed serializer that compresses only payloads of 1 KiB or more.

    What it writes is what URLSafeTimedSerializer writes when compression does not pay, so
    any URLSafeTimedSerializer with the same key and salt reads it (Flask-WTF's check of a
    form token, say), and it reads compressed payloads written before.
    """

    def dump_payload(self, obj: Any) -> bytes:
        """Return the payload in URL-safe base64, compressed only when it is long."""
        json = want_bytes(self.serializer.dumps(obj, **self.serializer_kwargs))
        if len(json) >= COMPRESS_FROM_BYTES:
            return super().dump_payload(obj)
        return base64_encode(json)
