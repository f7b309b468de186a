"""What the gateway needs to open a wallet, normalised as Chek requires (upstream-domain §2.7).

The phone number in E.164, the state as its 2-letter code, and "first last" in at most 24 characters.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from domain.money.errors import WalletDetailsInvalid

MAX_NAME = 24
MAX_LAST_NAME = 12

_STATES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "district of columbia": "DC",
    "florida": "FL", "georgia": "GA", "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN",
    "iowa": "IA", "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS", "missouri": "MO",
    "montana": "MT", "nebraska": "NE", "nevada": "NV", "new hampshire": "NH", "new jersey": "NJ",
    "new mexico": "NM", "new york": "NY", "north carolina": "NC", "north dakota": "ND", "ohio": "OH",
    "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI",
    "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT",
    "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY", "puerto rico": "PR",
}  # fmt: skip
_CODES = frozenset(_STATES.values())


class HolderKind(enum.StrEnum):
    FAMILY = "family"
    PROVIDER = "provider"


@dataclass(frozen=True, slots=True)
class WalletHolder:
    """Who a wallet is for, in the form the gateway accepts."""

    kind: HolderKind
    owner_id: str  # our family or provider id
    email: str
    phone_number: str | None
    first_name: str
    last_name: str
    address_line_1: str | None = None
    city: str | None = None
    state: str | None = None  # 2-letter code
    zip_code: str | None = None


def e164_phone(raw: str | None) -> str | None:
    """US numbers: 10 digits → +1…, 11 digits starting with 1 → +…; anything else is refused."""
    if raw is None or not raw.strip():
        return None
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 10:
        return "+1" + digits
    if len(digits) == 11 and digits.startswith("1"):
        return "+" + digits
    raise WalletDetailsInvalid(f"phone number {raw!r} is not a US number", details={"field": "phone_number"})


def state_code(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    text = " ".join(raw.split())
    if text.upper() in _CODES:
        return text.upper()
    code = _STATES.get(text.lower())
    if code is None:
        raise WalletDetailsInvalid(f"state {raw!r} is not a US state", details={"field": "state"})
    return code


def short_name(first: str, last: str) -> tuple[str, str]:
    """Fits "first last" into 24 characters: the last name shrinks to its first word (at most 12
    characters) first, then the first name gives way."""
    first, last = " ".join(first.split()), " ".join(last.split())
    if len(f"{first} {last}") <= MAX_NAME:
        return first, last
    last = (last.split(" ")[0] if last else last)[:MAX_LAST_NAME]
    first = first[: max(1, MAX_NAME - len(last) - 1)]
    return first, last


def wallet_holder(
    kind: HolderKind,
    owner_id: str,
    *,
    email: str | None,
    phone_number: str | None,
    first_name: str | None,
    last_name: str | None,
    address_line_1: str | None = None,
    city: str | None = None,
    state: str | None = None,
    zip_code: str | None = None,
) -> WalletHolder:
    if not email:
        raise WalletDetailsInvalid("An email address is needed to open a wallet", details={"field": "email"})
    first, last = short_name(first_name or "", last_name or "")
    if not first and not last:
        raise WalletDetailsInvalid("A name is needed to open a wallet", details={"field": "name"})
    return WalletHolder(
        kind=kind,
        owner_id=owner_id,
        email=email.strip().lower(),
        phone_number=e164_phone(phone_number),
        first_name=first,
        last_name=last,
        address_line_1=address_line_1,
        city=city,
        state=state_code(state),
        zip_code=zip_code,
    )
