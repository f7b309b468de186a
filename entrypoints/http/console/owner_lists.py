"""The lists a family's and a provider's pages both show (``sections.Section``): payments, messages,
attendance, invitations and ledger entries, with their columns for the page and the CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from domain.staff_reads import (
    AttendanceLine,
    InvitationLine,
    LedgerLine,
    MessageLine,
    Owner,
    PaymentLine,
    StaffReads,
    Window,
)
from entrypoints.http.console.csv_export import Column, money_column
from entrypoints.http.console.formatting import when
from entrypoints.http.console.sections import Section


def _iso(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def _family_page(payment: PaymentLine) -> str:
    return f"/console/families/{payment.family_id}"


def _provider_page(payment: PaymentLine) -> str:
    return f"/console/providers/{payment.provider_id}"


async def _payments(reads: StaffReads, window: Window, _: date) -> Sequence[PaymentLine]:
    return await reads.payments(window)


def payments(*, provider_column: bool = False, family_column: bool = False) -> Section[PaymentLine]:
    """The owner's payment intents, newest first; the other side's name links to its page."""
    columns: list[Column[PaymentLine]] = [
        Column(
            "created_at", "Created", lambda p: p.created_at.isoformat(), shown=lambda p: when(p.created_at)
        ),
        Column("intent_id", "Intent", lambda p: p.intent_id, shown=lambda p: p.intent_id[:8]),
        Column("child", "Child", lambda p: p.child_name),
        *([Column("family", "Family", lambda p: p.family_name, link=_family_page)] if family_column else []),
        *(
            [Column("provider", "Provider", lambda p: p.provider_name, link=_provider_page)]
            if provider_column
            else []
        ),
        Column("kind", "Kind", lambda p: p.kind),
        money_column("amount_cents", "Amount", lambda p: p.amount_cents),
        Column("status", "Status", lambda p: p.status, css_of=lambda p: f"status-{p.status}"),
        Column("attempts", "Attempts", lambda p: p.attempts),
        Column("paid_at", "Paid", lambda p: _iso(p.paid_at), shown=lambda p: when(p.paid_at)),
        Column("last_error", "Last error", lambda p: p.last_error),
    ]
    return Section("payments", "Payments", columns, _payments, "No payments yet.")


async def _messages(reads: StaffReads, window: Window, _: date) -> Sequence[MessageLine]:
    return await reads.messages(window)


MESSAGES: Section[MessageLine] = Section(
    "messages",
    "Messages",
    [
        Column(
            "created_at", "Created", lambda m: m.created_at.isoformat(), shown=lambda m: when(m.created_at)
        ),
        Column("channel", "Channel", lambda m: m.channel),
        Column("kind", "Kind", lambda m: m.kind),
        Column("recipient", "To", lambda m: m.recipient),
        Column("subject", "Subject", lambda m: m.subject),
        Column("status", "Status", lambda m: m.status, css_of=lambda m: f"status-{m.status}"),
        Column("attempts", "Attempts", lambda m: m.attempts),
        Column("sent_at", "Sent", lambda m: _iso(m.sent_at), shown=lambda m: when(m.sent_at)),
        Column("last_error", "Last error", lambda m: m.last_error),
        Column("message_id", "Id", lambda m: m.id, link=lambda m: f"/console/messages/{m.id}"),
    ],
    _messages,
    "No messages yet.",
)


@dataclass(frozen=True)
class AttendanceRow:
    """An attendance record as staff read it on a given day: each side's days, or due or overdue."""

    line: AttendanceLine
    family_side: str
    provider_side: str
    blocks_paying: bool


async def _attendance(reads: StaffReads, window: Window, today: date) -> Sequence[AttendanceRow]:
    lines = await reads.attendance(window)
    return [
        AttendanceRow(line, line.family_side(), line.provider_side(today), line.blocks_paying(today))
        for line in lines
    ]


def _side_css(state: str) -> str:
    return {"overdue": "status-failed", "due": "status-due"}.get(state, "")


ATTENDANCE: Section[AttendanceRow] = Section(
    "attendance",
    "Attendance",
    [
        Column("week", "Week of", lambda a: a.line.record.week.isoformat()),
        Column("child", "Child", lambda a: a.line.child_name),
        Column("provider", "Provider", lambda a: a.line.provider_name),
        Column(
            "family_entered", "Family", lambda a: a.family_side, css_of=lambda a: _side_css(a.family_side)
        ),
        Column(
            "provider_entered",
            "Provider side",
            lambda a: a.provider_side,
            css_of=lambda a: _side_css(a.provider_side),
        ),
        Column(
            "blocks_paying",
            "Blocks paying",
            lambda a: "yes" if a.blocks_paying else "no",
            css_of=lambda a: "status-failed" if a.blocks_paying else "",
        ),
        Column("record_id", "Record", lambda a: a.line.record.id, shown=lambda a: a.line.record.id[:8]),
    ],
    _attendance,
    "No attendance records yet.",
)


@dataclass(frozen=True)
class InvitationRow:
    """An invitation from the owner's side: sent by it or received, and who is on the other side."""

    line: InvitationLine
    sent: bool
    other_party: str


async def _invitations(reads: StaffReads, window: Window, _: date) -> Sequence[InvitationRow]:
    rows: list[InvitationRow] = []
    for line in await reads.invitations(window):
        sent = line.sent_by(window.owner)
        # The other side: the invitee's address until someone accepts, then who did; or the inviter.
        other = line.provider_name if window.owner is Owner.FAMILY else line.family_name
        address = " · ".join(part for part in (line.email, line.cell) if part)
        rows.append(InvitationRow(line, sent, f"{other} ({address})" if other and sent else other or address))
    return rows


INVITATIONS: Section[InvitationRow] = Section(
    "invitations",
    "Invitations",
    [
        Column(
            "created_at",
            "Sent on",
            lambda i: i.line.created_at.isoformat(),
            shown=lambda i: when(i.line.created_at),
        ),
        Column("direction", "Sent or received", lambda i: "sent" if i.sent else "received"),
        Column("other_party", "To / from", lambda i: i.other_party),
        Column("children", "Children", lambda i: i.line.children),
        Column(
            "status",
            "Status",
            lambda i: i.line.status,
            css_of=lambda i: f"status-{i.line.status.replace(' ', '-')}",
        ),
        Column(
            "opened_at", "Opened", lambda i: _iso(i.line.opened_at), shown=lambda i: when(i.line.opened_at)
        ),
        Column(
            "accepted_at",
            "Accepted",
            lambda i: _iso(i.line.accepted_at),
            shown=lambda i: when(i.line.accepted_at),
        ),
    ],
    _invitations,
    "No invitations sent or received.",
)


async def _ledger(reads: StaffReads, window: Window, _: date) -> Sequence[LedgerLine]:
    return await reads.ledger(window)


def _what_for(entry: LedgerLine) -> str:
    said = f" — {entry.description}" if entry.description else ""
    return f"{entry.kind.replace('_', ' ')} ({entry.record_type} {entry.record_id}){said}"


def ledger(*, account_column: bool) -> Section[LedgerLine]:
    """The owner's ledger accounts' entries, newest first, each with the account's balance after it."""
    columns: list[Column[LedgerLine]] = [
        Column("at", "Date", lambda e: e.at.isoformat(), shown=lambda e: when(e.at)),
        *([Column("account", "Account", lambda e: e.account)] if account_column else []),
        money_column("amount_cents", "Amount", lambda e: e.amount_cents),
        Column("counter_account", "Counter-account", lambda e: e.counter_accounts),
        Column("kind", "For", lambda e: e.kind, shown=_what_for),
        Column("description", "Description", lambda e: e.description, on_page=False),
        Column("record", "Record", lambda e: f"{e.record_type}:{e.record_id}", on_page=False),
        money_column("balance_after_cents", "Balance", lambda e: e.balance_after_cents),
        Column("entry_id", "Entry", lambda e: e.entry_id),
    ]
    return Section("ledger", "Ledger", columns, _ledger, "No ledger entries yet.")
