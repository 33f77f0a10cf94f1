import pytest
from itsdangerous import BadSignature, URLSafeTimedSerializer

from shop.signing import COMPRESS_FROM_BYTES, LeanTimedSerializer

KEY, SALT = "a-secret-key-for-tests", "some-salt"


@pytest.mark.parametrize("payload", ["0123456789abcdef" * 2, {"csrf_token": "f" * 40, "n": 3}])
def test_a_short_payload_is_read_by_itsdangerous_and_reads_what_itsdangerous_wrote(payload):
    lean, plain = LeanTimedSerializer(KEY, salt=SALT), URLSafeTimedSerializer(KEY, salt=SALT)
    assert plain.loads(lean.dumps(payload)) == payload
    assert lean.loads(plain.dumps(payload)) == payload


def test_a_long_payload_is_still_compressed_and_reads_back():
    payload = {"basket": ["spf50-sheer-mineral-fluid"] * (COMPRESS_FROM_BYTES // 20)}
    lean = LeanTimedSerializer(KEY, salt=SALT)
    token = lean.dumps(payload)
    assert token.startswith(".")  # itsdangerous's mark of a compressed payload
    assert len(token) < COMPRESS_FROM_BYTES / 2
    assert URLSafeTimedSerializer(KEY, salt=SALT).loads(token) == payload


def test_a_token_signed_with_another_key_or_salt_is_refused():
    token = LeanTimedSerializer(KEY, salt=SALT).dumps("value")
    for other in (LeanTimedSerializer("another-key", salt=SALT), LeanTimedSerializer(KEY)):
        with pytest.raises(BadSignature):
            other.loads(token)
