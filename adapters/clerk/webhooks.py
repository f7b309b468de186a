"""Clerk webhook deliveries: the Svix signature scheme, and reading the event envelope (user events, and
the emails Clerk asks us to deliver).

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
from urllib.parse import urlsplit

from adapters.clerk.backend_api import primary_email
from domain.errors import RuleRefused, Unauthenticated
from domain.identity.directory_events import UserEvent
from domain.notifications.clerk_invitations import INVITATION_SLUG, ClerkEmail

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


def read_clerk_email(body: bytes) -> ClerkEmail:
    """An ``email.created`` event's email (a verified body already read by ``read_user_event``).

    Only an invitation we are to deliver is checked closely: its address and Clerk's link must be
    there (400 otherwise). One Clerk delivers itself (``delivered_by_clerk``) is not ours to send again.
    """
    data = _object(json.loads(body).get("data"))
    slug = data.get("slug") if isinstance(data.get("slug"), str) else ""
    if data.get("delivered_by_clerk") is True:
        slug = f"{slug} (delivered by Clerk)"
    if slug != INVITATION_SLUG:
        return ClerkEmail(email_id=str(data.get("id", "")), slug=str(slug), to="")
    email_id, to = _text(data.get("id")), _text(data.get("to_email_address"))
    details = _object(data.get("data"))
    action_url = _text(details.get("action_url"))
    if email_id is None:
        raise _malformed("an email without an id")
    if to is None or "@" not in to:
        raise _malformed("an invitation email without a to_email_address")
    if action_url is None or urlsplit(action_url).scheme not in ("https", "http"):
        raise _malformed("an invitation email without an http(s) action_url")
    metadata = _object(_object(details.get("invitation")).get("public_metadata"))
    types = metadata.get("types")
    listed = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    return ClerkEmail(
        email_id=email_id,
        slug=INVITATION_SLUG,
        to=to,
        action_url=action_url,
        roles=tuple(t for t in listed if isinstance(t, str)),
        family_id=_text(metadata.get("family_id")),
        provider_id=_text(metadata.get("provider_id")),
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _refused() -> Unauthenticated:
    return Unauthenticated(SIGNATURE_REFUSED, code="invalid_webhook_signature")


def _malformed(reason: str) -> RuleRefused:
    return RuleRefused(f"Malformed webhook: {reason}.", code="malformed_webhook")
