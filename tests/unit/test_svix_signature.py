"""The Svix scheme as we implement it, pinned by Svix's published test vector (clerk.md §3.1)."""

from __future__ import annotations

import pytest

from adapters.clerk.webhooks import signing_key, verify_delivery
from domain.errors import Unauthenticated

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def _headers(**changes: str) -> dict[str, str]:
    return {"svix-id": MSG_ID, "svix-timestamp": str(TIMESTAMP), "svix-signature": SIGNATURE, **changes}


def test_the_published_test_vector_verifies() -> None:
    assert verify_delivery(signing_key(SECRET), _headers(), BODY, now=TIMESTAMP + 10) == MSG_ID


def test_the_test_vector_is_refused_at_todays_date() -> None:
    with pytest.raises(Unauthenticated):
        verify_delivery(signing_key(SECRET), _headers(), BODY, now=TIMESTAMP + 301)


@pytest.mark.parametrize("signature", ["garbage", "v1,AAA", "v1,", "v2," + SIGNATURE[3:], ",,,"])
def test_malformed_signature_entries_are_refused_not_crashing(signature: str) -> None:
    with pytest.raises(Unauthenticated):
        verify_delivery(signing_key(SECRET), _headers(**{"svix-signature": signature}), BODY, now=TIMESTAMP)


@pytest.mark.parametrize("secret", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_not base64!"])
def test_a_secret_that_is_not_whsec_base64_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match=r"whsec_|base64"):
        signing_key(secret)


@pytest.mark.parametrize("stamp", ["9" * 400, "-1", " 1614265330", "1e9", "1614265330.5", "١٦١٤٢٦٥٣٣٠"])
def test_a_timestamp_that_is_not_plain_seconds_is_refused_not_crashing(stamp: str) -> None:
    with pytest.raises(Unauthenticated):
        verify_delivery(signing_key(SECRET), _headers(**{"svix-timestamp": stamp}), BODY, now=TIMESTAMP)


def test_the_signature_is_checked_before_the_age(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unsigned delivery never reaches the arithmetic on its timestamp."""
    import adapters.clerk.webhooks as webhooks

    looked_at: list[bool] = []
    real_abs = abs

    def watched_abs(x: float) -> float:
        looked_at.append(True)
        return real_abs(x)

    monkeypatch.setattr(webhooks, "abs", watched_abs, raising=False)
    with pytest.raises(Unauthenticated):
        verify_delivery(signing_key(SECRET), _headers(**{"svix-signature": "v1,AAAA"}), BODY, now=TIMESTAMP)
    assert looked_at == []
    verify_delivery(signing_key(SECRET), _headers(), BODY, now=TIMESTAMP)
    assert looked_at == [True]
