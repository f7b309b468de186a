"""Clicks on the frontend's banners and links (upstream §2.11): one count per person and tracking id.

The frontend hides a banner once ``GET /clicks?tracking_id=`` answers 2xx, and posts a click for each
banner or external link followed. A click is counted atomically by the database (one row per person
and tracking id, incremented in place), so twenty concurrent posts count twenty, never fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from domain.errors import Forbidden, NotFound
from domain.identity.model import Account

MAX_TRACKING_ID = 128
MAX_URL = 2048


@dataclass(frozen=True, slots=True)
class Clicker:
    """Who clicked: the signed-in person, and the family and provider they act for."""

    clerk_user_id: str
    family_id: str | None
    provider_id: str | None


class ClickCounter(Protocol):
    async def count(self, clicker: Clicker, tracking_id: str, url: str | None) -> bool:
        """Counts one click; True when it was this person's first for ``tracking_id``."""
        ...

    async def has_clicked(self, clerk_user_id: str, tracking_id: str) -> bool: ...


def clicker(account: Account) -> Clicker:
    """A family or provider counts clicks; an account linked to neither has nothing to count for."""
    if account.family_id is None and account.provider_id is None:
        raise Forbidden("This account is not linked to a family or provider yet.", code="not_linked")
    return Clicker(account.clerk_user_id, account.family_id, account.provider_id)


async def record_click(counter: ClickCounter, account: Account, tracking_id: str, url: str | None) -> bool:
    return await counter.count(clicker(account), tracking_id, url)


async def check_clicked(counter: ClickCounter, account: Account, tracking_id: str) -> None:
    """Nothing when this person has clicked ``tracking_id``; NotFound (404) otherwise."""
    if not await counter.has_clicked(clicker(account).clerk_user_id, tracking_id):
        raise NotFound("No click recorded for this tracking id.", code="not_clicked")
