"""Link tokens as the database keeps them: only their SHA-256 digest."""

from __future__ import annotations

import hashlib


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a link token: the only form the database keeps."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
