"""Money's unit of work: the programme's, with the ledger, payment settings, fundings and payments in the same
session (so an allocation, its funding row and its ledger transaction commit together or not at all)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from adapters.postgres.attendance import PostgresAttendance
from adapters.postgres.money.fundings import PostgresFundings
from adapters.postgres.money.ledger import PostgresLedger
from adapters.postgres.money.lump_sums import PostgresLumpSums
from adapters.postgres.money.payments import PostgresPayments
from adapters.postgres.money.reclamations import PostgresReclamations
from adapters.postgres.money.reminders import PostgresReminderReads
from adapters.postgres.money.settings import PostgresPaymentSettings
from adapters.postgres.programme.unit_of_work import SqlAlchemyProgrammeUnitOfWork

if TYPE_CHECKING:
    from domain.money.ports import MoneyUnitOfWork
    from domain.money.reclamation_ports import ReclamationUnitOfWork
    from domain.money.use_cases.lump_sums import LumpSumUnitOfWork
    from domain.money.use_cases.reminders import RemindersUnitOfWork


class SqlAlchemyMoneyUnitOfWork(SqlAlchemyProgrammeUnitOfWork):
    _money: tuple[PostgresLedger, PostgresPaymentSettings, PostgresFundings, PostgresPayments] | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        session = self.session
        self._money = (
            PostgresLedger(session),
            PostgresPaymentSettings(session),
            PostgresFundings(session),
            PostgresPayments(session),
        )
        return self

    @property
    def _open_money(
        self,
    ) -> tuple[PostgresLedger, PostgresPaymentSettings, PostgresFundings, PostgresPayments]:
        if self._money is None or self._repositories is None:
            raise RuntimeError("the unit of work is not open; use `async with uow:`")
        return self._money

    @property
    def ledger(self) -> PostgresLedger:
        return self._open_money[0]

    @property
    def payment_settings(self) -> PostgresPaymentSettings:
        return self._open_money[1]

    @property
    def fundings(self) -> PostgresFundings:
        return self._open_money[2]

    @property
    def reclamations(self) -> PostgresReclamations:
        self._open_money  # noqa: B018  (raises when the unit of work is not open)
        return PostgresReclamations(self.session)

    @property
    def lump_sums(self) -> PostgresLumpSums:
        self._open_money  # noqa: B018  (raises when the unit of work is not open)
        return PostgresLumpSums(self.session)

    @property
    def reminders(self) -> PostgresReminderReads:
        self._open_money  # noqa: B018  (raises when the unit of work is not open)
        return PostgresReminderReads(self.session)

    @property
    def payments(self) -> PostgresPayments:
        return self._open_money[3]

    @property
    def attendance(self) -> PostgresAttendance:
        self._open_money  # noqa: B018  (raises when the unit of work is not open)
        return PostgresAttendance(self.session)


if TYPE_CHECKING:

    def _satisfies_the_port(uow: SqlAlchemyMoneyUnitOfWork) -> MoneyUnitOfWork:
        return uow

    def _satisfies_reclamation(uow: SqlAlchemyMoneyUnitOfWork) -> ReclamationUnitOfWork:
        return uow

    def _satisfies_reminders(uow: SqlAlchemyMoneyUnitOfWork) -> RemindersUnitOfWork:
        return uow

    def _satisfies_lump_sums(uow: SqlAlchemyMoneyUnitOfWork) -> LumpSumUnitOfWork:
        return uow
