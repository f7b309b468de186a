"""The sandbox payment gateway: a real money mover for development and tests, with books of its own.

It stands where the gateway's own system would: its wallets and transfers are in its own tables, written in
its own transactions (never in the caller's unit of work, exactly as a remote gateway's are not). It
enforces balances (a transfer beyond a wallet's balance is declined), moves money at most once per
idempotency key, and answers the next calls with failures an operator or a test asked for
(``cap-portal payments sandbox fail …`` or ``POST /sandbox/faults``):

- ``declined``: refused, nothing moved (``GatewayDeclined``);
- ``timeout``: no answer, nothing moved (``GatewayUnavailable``);
- ``error_after_move``: the money moved, then the answer was lost (``GatewayUnavailable``) — the case
  that makes idempotency keys necessary.

Cards are ``Active`` at once; ACH stays ``Pending`` until the sandbox is told the bank was linked.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import String, any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.rows import SandboxFaultRow, SandboxTransferRow, SandboxWalletRow
from domain.money.errors import GatewayDeclined, GatewayUnavailable
from domain.money.ports import AchInvitation, Transfer, WalletState
from domain.money.wallet_details import WalletHolder
from domain.money.wallets import Instrument, InstrumentStatus

PROGRAMME_USER_ID = "sbx_programme"
DEFAULT_PROGRAMME_BALANCE_CENTS = 1_000_000_000  # $10 million: development never runs dry by accident


class Fault(enum.StrEnum):
    DECLINED = "declined"
    TIMEOUT = "timeout"
    ERROR_AFTER_MOVE = "error_after_move"


OPERATIONS = (
    "ensure_wallet",
    "fund_family_wallet",
    "transfer_to_provider",
    "pay_out_by_card",
    "pay_out_by_ach",
    "reclaim",
    "wallet_state",
    "create_card",
    "start_ach_linking",
)


@dataclass(frozen=True, slots=True)
class SandboxTransfer:
    transfer_id: str
    idempotency_key: str
    operation: str
    from_user_id: str
    to_user_id: str | None
    amount_cents: int


@dataclass(frozen=True, slots=True)
class PendingFault:
    fault: Fault
    operation: str
    remaining: int


def _new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:20]}"


class SandboxGateway:
    """Satisfies ``PaymentGateway``."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        programme_balance_cents: int = DEFAULT_PROGRAMME_BALANCE_CENTS,
    ) -> None:
        self._sessions = session_factory
        self._programme_balance_cents = programme_balance_cents

    # --- the port -------------------------------------------------------------------------------------

    async def ensure_wallet(self, holder: WalletHolder) -> str:
        await self._fault("ensure_wallet", moves_money=False)
        async with self._sessions() as session, session.begin():
            await session.execute(
                pg_insert(SandboxWalletRow)
                .values(
                    user_id=_new_id("sbx_user"),
                    email=holder.email,
                    first_name=holder.first_name,
                    last_name=holder.last_name,
                )
                .on_conflict_do_nothing(index_elements=["email"])
            )
            found = await session.execute(
                select(SandboxWalletRow.user_id).where(SandboxWalletRow.email == holder.email)
            )
            return found.scalar_one()

    async def fund_family_wallet(self, user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        return await self._move(
            "fund_family_wallet", PROGRAMME_USER_ID, user_id, amount_cents, idempotency_key
        )

    async def transfer_to_provider(
        self, family_user_id: str, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        return await self._move(
            "transfer_to_provider", family_user_id, provider_user_id, amount_cents, idempotency_key
        )

    async def pay_out_by_card(
        self, provider_user_id: str, card_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        return await self._move(
            "pay_out_by_card", provider_user_id, None, amount_cents, idempotency_key, card_id=card_id
        )

    async def pay_out_by_ach(
        self, provider_user_id: str, amount_cents: int, *, idempotency_key: str
    ) -> Transfer:
        return await self._move("pay_out_by_ach", provider_user_id, None, amount_cents, idempotency_key)

    async def reclaim(self, family_user_id: str, amount_cents: int, *, idempotency_key: str) -> Transfer:
        return await self._move("reclaim", family_user_id, PROGRAMME_USER_ID, amount_cents, idempotency_key)

    async def wallet_state(self, user_id: str) -> WalletState:
        await self._fault("wallet_state", moves_money=False)
        async with self._sessions() as session:
            wallet = await session.get(SandboxWalletRow, user_id)
            if wallet is None:
                raise GatewayDeclined(f"No sandbox user {user_id}", details={"user_id": user_id})
            return WalletState(
                balance_cents=wallet.balance_cents,
                card=None if wallet.card_id is None else Instrument(wallet.card_id, wallet.card_status or ""),
                ach=None if wallet.ach_id is None else Instrument(wallet.ach_id, wallet.ach_status or ""),
            )

    async def wallet_balances(self, user_ids: Sequence[str]) -> dict[str, int]:
        """Each user's balance in one read (``GatewayBalances``); a user it does not know is left out."""
        await self._fault("wallet_state", moves_money=False)
        async with self._sessions() as session:
            rows = await session.execute(
                select(SandboxWalletRow.user_id, SandboxWalletRow.balance_cents).where(
                    SandboxWalletRow.user_id == any_(bindparam("user_ids", list(user_ids), ARRAY(String)))
                )
            )
            return {r.user_id: r.balance_cents for r in rows}

    async def create_card(self, user_id: str) -> Instrument:
        await self._fault("create_card", moves_money=False)
        async with self._sessions() as session, session.begin():
            wallet = await self._locked_wallet(session, user_id)
            if wallet.card_id is None:
                wallet.card_id, wallet.card_status = _new_id("sbx_card"), InstrumentStatus.ACTIVE.value
            return Instrument(wallet.card_id, wallet.card_status or "")

    async def start_ach_linking(self, user_id: str) -> AchInvitation:
        await self._fault("start_ach_linking", moves_money=False)
        async with self._sessions() as session, session.begin():
            wallet = await self._locked_wallet(session, user_id)
            if wallet.ach_id is None:
                wallet.ach_id, wallet.ach_status = _new_id("sbx_dp"), InstrumentStatus.PENDING.value
            return AchInvitation(
                Instrument(wallet.ach_id, wallet.ach_status or ""), invite_sent_to=wallet.email
            )

    # --- controls (the CLI, the API-key route and tests) ----------------------------------------------

    async def fail_next(self, fault: Fault, *, operation: str = "*", times: int = 1) -> None:
        if operation != "*" and operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation!r}; one of {', '.join(OPERATIONS)} or *")
        async with self._sessions() as session, session.begin():
            session.add(SandboxFaultRow(operation=operation, fault=Fault(fault).value, remaining=times))

    async def clear_faults(self) -> int:
        async with self._sessions() as session, session.begin():
            return (await session.execute(delete(SandboxFaultRow))).rowcount  # type: ignore[attr-defined,no-any-return]

    async def pending_faults(self) -> list[PendingFault]:
        """The failures asked for that have not happened yet, the next one first."""
        async with self._sessions() as session:
            rows = await session.execute(select(SandboxFaultRow).order_by(SandboxFaultRow.id))
            return [PendingFault(Fault(r.fault), r.operation, r.remaining) for r in rows.scalars()]

    async def link_bank(self, user_id: str) -> Instrument:
        """The provider finished linking their bank: their ACH becomes ``Active``."""
        async with self._sessions() as session, session.begin():
            wallet = await self._locked_wallet(session, user_id)
            if wallet.ach_id is None:
                raise GatewayDeclined("This user was never invited to link a bank")
            wallet.ach_status = InstrumentStatus.ACTIVE.value
            return Instrument(wallet.ach_id, wallet.ach_status)

    async def transfers(self) -> list[SandboxTransfer]:
        async with self._sessions() as session:
            rows = await session.execute(select(SandboxTransferRow).order_by(SandboxTransferRow.created_at))
            return [
                SandboxTransfer(
                    r.transfer_id,
                    r.idempotency_key,
                    r.operation,
                    r.from_user_id,
                    r.to_user_id,
                    r.amount_cents,
                )
                for r in rows.scalars()
            ]

    async def programme_balance(self) -> int:
        async with self._sessions() as session, session.begin():
            await self._ensure_programme(session)
            return (await session.get_one(SandboxWalletRow, PROGRAMME_USER_ID)).balance_cents

    # --- inside ---------------------------------------------------------------------------------------

    async def _move(
        self,
        operation: str,
        source: str,
        destination: str | None,
        amount_cents: int,
        key: str,
        *,
        card_id: str | None = None,
    ) -> Transfer:
        if amount_cents <= 0:
            raise GatewayDeclined("The amount must be positive", details={"amount_cents": amount_cents})
        fault = await self._fault(operation, moves_money=True)
        async with self._sessions() as session, session.begin():
            await self._ensure_programme(session)
            # The source wallet's lock orders every move from it, retries of one key included.
            wallet = await self._locked_wallet(session, source)
            done = await session.execute(
                select(SandboxTransferRow).where(SandboxTransferRow.idempotency_key == key)
            )
            earlier = done.scalar_one_or_none()
            if earlier is not None:
                if (earlier.operation, earlier.from_user_id, earlier.to_user_id, earlier.amount_cents) != (
                    operation,
                    source,
                    destination,
                    amount_cents,
                ):
                    raise GatewayDeclined("This idempotency key was used for another transfer")
                return Transfer(earlier.transfer_id)
            self._check_payout(operation, wallet, card_id)
            if wallet.balance_cents < amount_cents:
                raise GatewayDeclined(
                    "Insufficient funds",
                    details={"balance_cents": wallet.balance_cents, "amount_cents": amount_cents},
                )
            wallet.balance_cents -= amount_cents
            if destination is not None:
                receiving = await self._locked_wallet(session, destination)
                receiving.balance_cents += amount_cents
            transfer_id = _new_id("sbx_tr")
            session.add(
                SandboxTransferRow(
                    transfer_id=transfer_id,
                    idempotency_key=key,
                    operation=operation,
                    from_user_id=source,
                    to_user_id=destination,
                    amount_cents=amount_cents,
                )
            )
        if fault is Fault.ERROR_AFTER_MOVE:
            raise GatewayUnavailable("Sandbox: the transfer was made, then the answer was lost (injected)")
        return Transfer(transfer_id)

    @staticmethod
    def _check_payout(operation: str, wallet: SandboxWalletRow, card_id: str | None) -> None:
        if operation == "pay_out_by_card" and (wallet.card_id != card_id or wallet.card_status != "Active"):
            raise GatewayDeclined("The card is not this user's active card")
        if operation == "pay_out_by_ach" and wallet.ach_status != "Active":
            raise GatewayDeclined("The user has no linked bank account")

    async def _ensure_programme(self, session: AsyncSession) -> None:
        await session.execute(
            pg_insert(SandboxWalletRow)
            .values(
                user_id=PROGRAMME_USER_ID,
                first_name="Programme",
                last_name="Balance",
                balance_cents=self._programme_balance_cents,
            )
            .on_conflict_do_nothing(index_elements=["user_id"])
        )

    @staticmethod
    async def _locked_wallet(session: AsyncSession, user_id: str) -> SandboxWalletRow:
        wallet = (
            await session.execute(
                select(SandboxWalletRow).where(SandboxWalletRow.user_id == user_id).with_for_update()
            )
        ).scalar_one_or_none()
        if wallet is None:
            raise GatewayDeclined(f"No sandbox user {user_id}", details={"user_id": user_id})
        return wallet

    async def _fault(self, operation: str, *, moves_money: bool) -> Fault | None:
        """Takes the oldest fault asked for this operation (or any), in its own committed transaction."""
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(
                    select(SandboxFaultRow)
                    .where(SandboxFaultRow.operation.in_((operation, "*")))
                    .order_by(SandboxFaultRow.id)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).scalar_one_or_none()
            if row is None:
                return None
            fault = Fault(row.fault)
            if row.remaining <= 1:
                await session.execute(delete(SandboxFaultRow).where(SandboxFaultRow.id == row.id))
            else:
                await session.execute(
                    update(SandboxFaultRow)
                    .where(SandboxFaultRow.id == row.id)
                    .values(remaining=row.remaining - 1)
                )
        if fault is Fault.DECLINED:
            raise GatewayDeclined(f"Sandbox: {operation} declined (injected)")
        if fault is Fault.TIMEOUT or not moves_money:
            raise GatewayUnavailable(f"Sandbox: {operation} timed out (injected)")
        return fault
