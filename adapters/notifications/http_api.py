"""What the HTTP message providers (Postmark, SendGrid, Twilio) share: one POST, and what its answer means.

A 2xx is taken. A 4xx is the provider's refusal of this message (a bad address, a rejected request,
a bad credential): trying the same request again cannot help, so the message fails at once and an
operator may resend it once the cause is fixed. 408 and 429 are the exceptions: "too slow" and "too
many", which pass. A 5xx, a timeout or a connection that fails is an outage, retried by the job.
Error messages carry the provider's own words, never our credentials.

Each send opens its own client: messages are few, and a client kept across jobs would be tied to
the event loop that made it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from domain.notifications.errors import DeliveryFailed

RETRIED_4XX = frozenset({408, 429})
MAX_DETAIL = 300


async def post(
    provider: str,
    url: str,
    *,
    timeout_seconds: float,
    describe: Callable[[Any], str],
    transport: httpx.AsyncBaseTransport | None = None,
    **request: Any,
) -> httpx.Response:
    """POST and return the 2xx answer; ``DeliveryFailed`` otherwise. ``describe`` turns the provider's
    JSON error body into its message."""
    try:
        async with httpx.AsyncClient(
            timeout=timeout_seconds, transport=transport, follow_redirects=False
        ) as client:
            response = await client.post(url, **request)
    except httpx.TimeoutException:
        raise DeliveryFailed(
            f"{provider}: no answer within {timeout_seconds:g}s", permanent=False, provider=provider
        ) from None
    except httpx.HTTPError as error:
        raise DeliveryFailed(
            f"{provider}: {type(error).__name__}: {error}", permanent=False, provider=provider
        ) from None
    status = response.status_code
    if 200 <= status < 300:
        return response
    retried = status >= 500 or status in RETRIED_4XX
    raise DeliveryFailed(
        f"{provider}: {status} {_detail(response, describe)}", permanent=not retried, provider=provider
    )


def _detail(response: httpx.Response, describe: Callable[[Any], str]) -> str:
    try:
        said = describe(response.json())
    except (ValueError, TypeError, KeyError, AttributeError):
        said = response.text
    return said.strip()[:MAX_DETAIL] or response.reason_phrase
