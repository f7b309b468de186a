"""Clerk webhook deliveries: the Svix signature scheme, and reading the event envelope.

Written here rather than taken from the ``svix`` package (reference/clerk.md §3.2): the check is
~30 lines of stdlib, the package would pull in pydantic and an API client for it, and it raises
plain ``ValueError`` (a 500) on some malformed headers. Owning it gives exact error types, an
injected "now" and verification over the raw bytes; the published Svix test vector pins it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from adapters.clerk.backend_api import primary_email
from domain.errors import RuleRefused, Unauthenticated
from domain.identity.directory_events import UserEvent

TOLERANCE_SECONDS = 5 * 60
SIGNATURE_REFUSED = "The webhook signature is missing or not valid."


def signing_key(secret: str) -> bytes:
    """The HMAC key in a ``whsec_…`` secret; ValueError if it is not one."""
    if not secret.startswith("whsec_"):
        raise ValueError("must start with whsec_ (Clerk dashboard → Webhooks → Signing Secret)")
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the part after whsec_ must be base64") from None


def verify_delivery(key: bytes, headers: Mapping[str, str], body: bytes, *, now: float) -> str:
    """Check a delivery's signature and freshness; return its ``svix-id``.

    ``headers`` must look names up case-insensitively (Litestar's do). Every failure is a 401:
    the sender is not proven, whatever exactly is wrong.
    """
    message_id = headers.get("svix-id", "")
    timestamp = headers.get("svix-timestamp", "")
    signatures = headers.get("svix-signature", "")
    if not (message_id and timestamp and signatures):
        raise _refused()
    # A Unix time in seconds has 10 digits until 2286; a longer one is not a timestamp (and a
    # 400-digit one would overflow the float arithmetic of the age check).
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        raise _refused()
    if not _signed(key, message_id, timestamp, signatures, body):
        raise _refused()
    # Only a proven sender's clock is looked at. Both directions: an old delivery is a replay, a
    # future one a signer with a broken clock.
    if abs(now - int(timestamp)) > TOLERANCE_SECONDS:
        raise _refused()
    return message_id


def _signed(key: bytes, message_id: str, timestamp: str, signatures: str, body: bytes) -> bool:
    expected = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    for entry in signatures.split():
        version, _, encoded = entry.partition(",")
        if version != "v1":
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        if hmac.compare_digest(candidate, expected):
            return True
    return False


def read_user_event(message_id: str, body: bytes) -> UserEvent:
    """The domain's view of a (verified) Clerk event; 400 when the body is not a Clerk envelope."""
    try:
        envelope: Any = json.loads(body)
    except ValueError:
        raise _malformed("the body is not JSON") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("type"), str):
        raise _malformed("the body has no event type")
    data = envelope.get("data")
    if not isinstance(data, dict):
        raise _malformed("the body has no data object")
    user_id = data.get("id") if envelope["type"].startswith("user.") else None
    if envelope["type"].startswith("user.") and not isinstance(user_id, str):
        raise _malformed("a user event without a user id")
    return UserEvent(
        message_id=message_id, event_type=envelope["type"], user_id=user_id, email=primary_email(data)
    )


def _refused() -> Unauthenticated:
    return Unauthenticated(SIGNATURE_REFUSED, code="invalid_webhook_signature")


def _malformed(reason: str) -> RuleRefused:
    return RuleRefused(f"Malformed webhook: {reason}.", code="malformed_webhook")
