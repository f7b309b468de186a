"""``/console/providers/{id}``: a provider's record, the children it cares for with their rates, how it
is paid (payment method, card and bank status, wallet, and whether it can be paid now), its payments
and its ledger. Read-only.

Each list is a ``sections.Section``, as on the family's page: the page shows its first rows,
``/console/providers/{id}/{list}`` all of them a page at a time and ``…/{list}.csv`` all of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from litestar import Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from domain.money.wallets import Instrument, PaymentMethod, ProviderPaymentSettings
from domain.staff_reads import CaredChild, Owner, StaffReads, Window
from entrypoints.http.console import owner_lists
from entrypoints.http.console.csv_export import Column, money_column
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.formatting import when
from entrypoints.http.console.paging import PageNumber
from entrypoints.http.console.sections import Section, previews, section_page
from entrypoints.http.services import services_of

NO_PROVIDER = "There is no provider with that id."


def _window_of(rows: Sequence[Any], window: Window) -> Sequence[Any]:
    return rows[window.offset : window.offset + window.limit]


async def _children(reads: StaffReads, window: Window, _: date) -> Sequence[CaredChild]:
    picture = await reads.provider(window.owner_id)
    return [] if picture is None else _window_of(picture.children, window)


@dataclass(frozen=True)
class InstrumentRow:
    """One way the provider can be paid (card or bank), as the gateway last reported it."""

    method: PaymentMethod
    instrument: Instrument | None
    settings: ProviderPaymentSettings

    @property
    def chosen(self) -> bool:
        return self.settings.payment_method is self.method


async def _instruments(reads: StaffReads, window: Window, _: date) -> Sequence[InstrumentRow]:
    picture = await reads.provider(window.owner_id)
    settings = None if picture is None else picture.payment_settings
    if settings is None:
        return []  # never opened a wallet: the page says so above the list
    rows = [InstrumentRow(method, settings.instrument(method), settings) for method in PaymentMethod]
    return _window_of(rows, window)


CHILDREN: Section[CaredChild] = Section(
    "children",
    "Children in care",
    [
        Column("child", "Child", lambda c: c.name, link=lambda c: f"/console/families/{c.family_id}"),
        Column("child_id", "Child id", lambda c: c.child_id, on_page=False),
        Column("family_id", "Family id", lambda c: c.family_id, on_page=False),
        money_column("half_day_rate_cents", "Half day", lambda c: c.half_day_rate_cents),
        money_column("full_day_rate_cents", "Full day", lambda c: c.full_day_rate_cents),
    ],
    _children,
    "No children linked.",
)
INSTRUMENTS: Section[InstrumentRow] = Section(
    "instruments",
    "Payment settings",
    [
        Column("method", "Method", lambda r: r.method.value),
        Column("chosen", "Chosen", lambda r: "yes" if r.chosen else "no"),
        Column(
            "status",
            "Status",
            lambda r: r.instrument.status if r.instrument else "not set up",
            css_of=lambda r: f"status-{(r.instrument.status if r.instrument else 'none').lower()}",
        ),
        Column("instrument_id", "Instrument id", lambda r: r.instrument.id if r.instrument else ""),
        Column("gateway_user_id", "Wallet", lambda r: r.settings.gateway_user_id, on_page=False),
        money_column("wallet_balance_cents", "Wallet balance", lambda r: r.settings.wallet_balance_cents),
        Column(
            "last_synced_at",
            "Last synced",
            lambda r: r.settings.last_synced_at.isoformat() if r.settings.last_synced_at else "",
            shown=lambda r: when(r.settings.last_synced_at),
        ),
        Column("last_error", "Last error", lambda r: r.settings.last_error),
    ],
    _instruments,
    "The provider has no wallet yet.",
)
PAGE_SECTIONS: list[Section[Any]] = [
    CHILDREN,
    INSTRUMENTS,
    owner_lists.payments(provider_column=False, family_column=True),
    owner_lists.ledger(account_column=True),
]
SECTIONS = {section.name: section for section in PAGE_SECTIONS}


@get("/providers/{provider_id:str}", name="console_provider")
async def show_provider(request: AnyRequest, provider_id: FromPath[str]) -> Template:
    picture = await services_of(request).staff_reads().provider(provider_id)
    if picture is None:
        raise NotFoundException(NO_PROVIDER)
    base = f"/console/providers/{picture.id}"
    sections = await previews(request, PAGE_SECTIONS, Owner.PROVIDER, picture.id, base)
    return Template("provider.html", context={"provider": picture, "sections": sections})


@get("/providers/{provider_id:str}/{section:str}", name="console_provider_section")
async def provider_section(
    request: AnyRequest, provider_id: FromPath[str], section: FromPath[str], page: PageNumber = 1
) -> Response[Any]:
    """One of the provider's lists a page at a time, or all of it as CSV (``….csv``)."""
    return await section_page(
        request,
        SECTIONS,
        Owner.PROVIDER,
        provider_id,
        section,
        page,
        base=f"/console/providers/{provider_id}",
        not_found=NO_PROVIDER,
    )


ROUTES = [show_provider, provider_section]
