"""The Chek payment gateway over its REST API (upstream-domain §5), with httpx.

Base ``{CHEK_BASE_URL}/api/v1/account/{CHEK_ACCOUNT_ID}/``; every call sends ``API-Key``, writes also
``Write-Key``. Money moves send our idempotency key as ``Idempotency-Key`` (and in ``metadata``), so
they — and reads — are retried on a timeout, a connection error or a 5xx; creating a user is not (a
retry could create a second user), and the next ``ensure_wallet`` finds the user by email instead.
A 4xx is Chek's refusal (``GatewayDeclined`` with its message); anything else is ``GatewayUnavailable``.
Keys are never logged: log lines name the method, the path and the status only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from domain.money.errors import GatewayDeclined, GatewayUnavailable
from domain.money.ports import AchInvitation, Transfer, WalletState
from domain.money.wallet_details import WalletHolder
from domain.money.wallets import Instrument, InstrumentStatus

logger = logging.getLogger("cap_portal.chek")

RETRIES = 2
RETRY_PAUSE_SECONDS = 0.2
BALANCE_READS_AT_ONCE = 8


@dataclass(frozen=True)
class ChekSettings:
    base_url: str
    account_id: str
    program_id: str
    api_key: str = field(repr=False)
    write_key: str = field(repr=False)
    timeout_seconds: float = 10.0


class ChekGateway:
    """Satisfies ``PaymentGateway``."""

    def __init__(self, settings: ChekSettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(
            base_url=f"{settings.base_url.rstrip('/')}/api/v1/account/{settings.account_id}/",
            headers={"API-Key": settings.api_key, "Accept": "application/json"},
            timeout=settings.timeout_seconds,
            transport=transport,
        )

    async def close(self) -> None:
        await self._client.aclose()

    # --- users and instruments ------------------------------------------------------------------------

    async def ensure_wallet(self, holder: WalletHolder) -> str:
        listed = await self._call("GET", "users/", params={"email": holder.email}, retry=True)
        # Chek's filter is loose: only an exact (case-insensitive) email match is the same person.
        for user in _results(listed):
            if str(user.get("email", "")).lower() == holder.email:
                return str(user["id"])
        body: dict[str, Any] = {
            "email": holder.email,
            "first_name": holder.first_name,
            "last_name": holder.last_name,
        }
        if holder.phone_number:
            body["phone"] = holder.phone_number
        if holder.state:
            body["address"] = {
                "line1": holder.address_line_1,
                "city": holder.city,
                "state": holder.state,
                "postal_code": holder.zip_code,
                "country_code": "US",
            }
        created = await self._call("POST", "users/", json=body, retry=False)
        return str(created["id"])

    async def wallet_state(self, user_id: str) -> WalletState:
        user = await self._call("GET", f"users/{user_id}/", retry=True)
        direct_pay = user.get("directpay") or None
        cards = [c for c in user.get("cards") or [] if isinstance(c, dict)]
        # The Active card when there is one (a provider may have older, closed cards), else the newest.
        card = next(
            (c for c in cards if c.get("status") == InstrumentStatus.ACTIVE), cards[-1] if cards else None
        )
        return WalletState(
            balance_cents=int(user.get("balance", 0)),
            card=None if card is None else Instrument(str(card["id"]), str(card.get("status", ""))),
            ach=None
            if not direct_pay or direct_pay.get("id") is None
            else Instrument(str(direct_pay["id"]), str(direct_pay.get("status", ""))),
        )

    async def wallet_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Each user's balance (``GatewayBalances``, for reconciliation). Chek has no batch read: one GET
        per user, a few at a time so a large programme neither waits on them one by one nor floods Chek.
        A user Chek would not tell us about is left out (the check reports it as unchecked)."""
        limit = asyncio.Semaphore(BALANCE_READS_AT_ONCE)

        async def one(user_id: str) -> tuple[str, int | None]:
            async with limit:
                try:
                    return user_id, (await self.wallet_state(user_id)).balance_cents
                except (GatewayDeclined, GatewayUnavailable):
                    return user_id, None

        answers = await asyncio.gather(*(one(user_id) for user_id in dict.fromkeys(user_ids)))
        return {user_id: balance for user_id, balance in answers if balance is not None}

    async def create_card(self, user_id: str) -> Instrument:
        body = {"program_id": self._settings.program_id, "funding_method": "wallet", "amount": 0}
        card = await self._call("POST", f"users/{user_id}/create_card/", json=body, retry=False)
        return Instrument(str(card["id"]), str(card.get("status", "")))

    async def start_ach_linking(self, user_id: str) -> AchInvitation:
        invite = await self._call(
            "POST", "directpay_accounts/invite/", json={"user_id": user_id}, retry=False
        )
        status = str(invite.get("status") or InstrumentStatus.PENDING)
        return AchInvitation(Instrument(str(invite["id"]), status), invite_sent_to=invite.get("email"))

    # --- money ----------------------------------------------------------------------------------------

    async def fund_family_wallet(self, user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        return await self._transfer_balance(user_id, "program_to_wallet", amount_cents, idempotency_key)

    async def transfer_to_provider(
        self, family_user_id: str, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        return await self._transfer_balance(
            family_user_id,
            "wallet_to_wallet",
            amount_cents,
            idempotency_key,
            counterparty_id=provider_user_id,
        )

    async def reclaim(self, family_user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        return await self._transfer_balance(
            family_user_id, "wallet_to_program", amount_cents, idempotency_key
        )

    async def pay_out_by_ach(
        self, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        body = {
            "amount": amount_cents,
            "type": "same_day_ach",
            "funding_source": "wallet",
            "program_id": self._settings.program_id,
            "internal_memo": idempotency_key,
        }
        done = await self._call(
            "POST", f"directpay_accounts/{provider_user_id}/send_payment/", json=body, key=idempotency_key
        )
        return Transfer(str(done["id"]))

    async def pay_out_by_card(
        self, provider_user_id: str, card_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        body = {
            "flow_direction": "allocate_to_card",
            "program_id": self._settings.program_id,
            "amount": amount_cents,
            "metadata": {"idempotency_key": idempotency_key, "user_id": provider_user_id},
        }
        done = await self._call("POST", f"cards/{card_id}/transfer_balance/", json=body, key=idempotency_key)
        return Transfer(str(done["id"]))

    async def _transfer_balance(
        self, user_id: str, direction: str, amount_cents: int, key: str, *, counterparty_id: str | None = None
    ) -> Transfer:
        body: dict[str, Any] = {
            "flow_direction": direction,
            "program_id": self._settings.program_id,
            "amount": amount_cents,
            "description": key,
            "metadata": {"idempotency_key": key},
        }
        if counterparty_id is not None:
            body["counterparty_id"] = counterparty_id
        done = await self._call("POST", f"users/{user_id}/transfer_balance/", json=body, key=key)
        return Transfer(str(done["id"]))

    # --- HTTP -----------------------------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        key: str | None = None,
        retry: bool | None = None,
    ) -> Any:
        headers: dict[str, str] = {}
        if method != "GET":
            headers["Write-Key"] = self._settings.write_key
        if key is not None:
            headers["Idempotency-Key"] = key
        retries = RETRIES if (retry if retry is not None else key is not None) else 0
        for attempt in range(retries + 1):
            try:
                response = await self._client.request(method, path, params=params, json=json, headers=headers)
            except httpx.HTTPError as error:
                logger.warning(
                    "chek call failed", extra={"method": method, "path": path, "error": type(error).__name__}
                )
                if attempt < retries:
                    await asyncio.sleep(RETRY_PAUSE_SECONDS * (attempt + 1))
                    continue
                raise GatewayUnavailable(
                    f"Chek did not answer {method} {path}: {type(error).__name__}"
                ) from None
            logger.info(
                "chek call", extra={"method": method, "path": path, "status_code": response.status_code}
            )
            if response.status_code >= 500 and attempt < retries:
                await asyncio.sleep(RETRY_PAUSE_SECONDS * (attempt + 1))
                continue
            return _answer(method, path, response)
        raise AssertionError("unreachable")  # pragma: no cover


def _answer(method: str, path: str, response: httpx.Response) -> Any:
    if response.is_success:
        try:
            return response.json()
        except ValueError:
            raise GatewayUnavailable(f"Chek answered {method} {path} with a body that is not JSON") from None
    message = _error_message(response)
    details = {"status_code": response.status_code, "path": path}
    if 400 <= response.status_code < 500 and response.status_code not in (401, 403, 408, 429):
        raise GatewayDeclined(f"Chek refused {method} {path}: {message}", details=details)
    raise GatewayUnavailable(
        f"Chek answered {method} {path} with {response.status_code}: {message}", details=details
    )


def _error_message(response: httpx.Response) -> str:
    """Chek's own words from its error body ({detail}, {error}, {message} or field errors), kept short."""
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase or "no message"
    if isinstance(body, dict):
        for name in ("detail", "error", "message"):
            if isinstance(body.get(name), str):
                return str(body[name])[:300]
        return "; ".join(f"{k}: {v}" for k, v in body.items())[:300]
    return str(body)[:300]


def _results(listed: Any) -> list[dict[str, Any]]:
    if isinstance(listed, dict):
        listed = listed.get("results", [])
    return [user for user in listed if isinstance(user, dict)] if isinstance(listed, list) else []
