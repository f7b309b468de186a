"""The payment gateway a process uses, built from its settings (``PAYMENT_GATEWAY``)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.chek.gateway import ChekGateway, ChekSettings
from adapters.postgres.money.sandbox_gateway import SandboxGateway
from entrypoints.settings import Settings


def build_gateway(
    settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> SandboxGateway | ChekGateway:
    settings.require_payment_gateway()
    if settings.payment_gateway == "chek":
        return ChekGateway(
            ChekSettings(
                base_url=settings.chek_base_url or "",
                account_id=settings.chek_account_id or "",
                program_id=settings.chek_program_id or "",
                api_key=settings.chek_api_key or "",
                write_key=settings.chek_write_key or "",
            )
        )
    # The sandbox's books are in the same database, in transactions of their own.
    return SandboxGateway(session_factory, programme_balance_cents=settings.sandbox_programme_balance_cents)
