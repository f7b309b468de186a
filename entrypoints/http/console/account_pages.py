"""``/console/accounts``: the accounts, a page at a time and as CSV, searched by email, name or Clerk
user id and filtered by role and by deactivated; and one account, whose roles staff change and which
they deactivate or reactivate, through ``change_account`` (the admin API's use case, mirrored to Clerk)
with its audit entry. Staff cannot lock themselves out (``refuse_self_lockout``): the page says so."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from adapters.postgres.accounts import SqlAlchemyAccounts
from adapters.postgres.audit import UnitOfWorkAuditLog
from domain.audit import AuditStamp, AuditTrail, who
from domain.errors import RuleRefused
from domain.identity import administration
from domain.identity.model import Account, AccountFilter, Role
from entrypoints.http.console.access import staff_user_id
from entrypoints.http.console.csv_export import MAX_ROWS, csv_filename, csv_response
from entrypoints.http.console.errors import AnyRequest
from entrypoints.http.console.paging import PAGE_SIZE, PageNumber, Pager
from entrypoints.http.services import services_of

ROLES = tuple(role.value for role in Role)
# The deactivated filter: "" either, "yes" deactivated only, "no" active only.
DEACTIVATED = {"": None, "yes": True, "no": False}
Search = Annotated[str, QueryParameter(max_length=200)]
Choice = Annotated[str, QueryParameter(max_length=20)]


def _filter(q: str, role: str, deactivated: str) -> AccountFilter:
    """An unknown role or deactivated value in a link filters nothing, as the jobs page's tabs do."""
    return AccountFilter(
        search=q.strip() or None,
        role=Role(role) if role in ROLES else None,
        deactivated=DEACTIVATED.get(deactivated),
    )


async def _accounts(request: AnyRequest, wanted: AccountFilter, *, limit: int, offset: int) -> list[Account]:
    uow = services_of(request).unit_of_work()
    return await administration.list_accounts(
        uow, SqlAlchemyAccounts(uow), wanted, limit=limit, offset=offset
    )


@get("/accounts", name="console_accounts")
async def accounts(
    request: AnyRequest, q: Search = "", role: Choice = "", deactivated: Choice = "", page: PageNumber = 1
) -> Template:
    found = await _accounts(
        request, _filter(q, role, deactivated), limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
    )
    context: dict[str, Any] = {
        "accounts": found[:PAGE_SIZE],
        "pager": Pager.of(request, page, has_more=len(found) > PAGE_SIZE),
        "q": q,
        "role": role if role in ROLES else "",
        "deactivated": deactivated if deactivated in DEACTIVATED else "",
        "roles": ROLES,
    }
    return Template("accounts.html", context=context)


@get("/accounts.csv", name="console_accounts_csv")
async def accounts_csv(
    request: AnyRequest, q: Search = "", role: Choice = "", deactivated: Choice = ""
) -> Response[bytes]:
    found = await _accounts(request, _filter(q, role, deactivated), limit=MAX_ROWS, offset=0)
    header = ("clerk_user_id", "email", "roles", "status", "family_id", "provider_id", "created_at",
              "last_seen_at")  # fmt: skip
    rows = (
        (a.clerk_user_id, a.email, ",".join(sorted(a.roles)), _status(a), a.family_id, a.provider_id,
         a.created_at and a.created_at.isoformat(), a.last_seen_at and a.last_seen_at.isoformat())
        for a in found
    )  # fmt: skip
    return csv_response(csv_filename(request), header, rows)


def _status(account: Account) -> str:
    return "deactivated" if account.deactivated else "active"


async def account_page(
    request: AnyRequest, clerk_user_id: str, *, notice: str | None = None, refusal: str | None = None
) -> Template:
    uow = services_of(request).unit_of_work()
    account = await administration.find_account(uow, SqlAlchemyAccounts(uow), clerk_user_id)  # 404 page
    context: dict[str, Any] = {
        "account": account,
        "status": _status(account),
        "roles": ROLES,
        "yourself": account.clerk_user_id == await staff_user_id(request),
        "notice": notice,
        "refusal": refusal,
    }
    return Template("account.html", context=context, status_code=400 if refusal else 200)


@get("/accounts/{clerk_user_id:str}", name="console_account")
async def show_account(request: AnyRequest, clerk_user_id: FromPath[str]) -> Template:
    return await account_page(request, clerk_user_id)


async def _change(
    request: AnyRequest, clerk_user_id: str, *, roles: list[str] | None, deactivated: bool | None
) -> Template:
    services = services_of(request)
    staff = await staff_user_id(request)
    uow = services.unit_of_work()
    trail = AuditTrail(UnitOfWorkAuditLog(uow), AuditStamp(who("console", staff), services.clock.now()))
    try:
        change = await administration.change_account(
            uow,
            SqlAlchemyAccounts(uow),
            services.identity.directory,
            services.job_queue,
            clerk_user_id,
            roles=roles,
            deactivated=deactivated,
            audit=trail,
            acting_user_id=staff,
        )
    except RuleRefused as refused:
        return await account_page(
            request, clerk_user_id, refusal=f"The account was not changed: {refused.message}"
        )
    account = change.account
    notice = f"{account.email or account.clerk_user_id} is {_status(account)}, with roles " + (
        ", ".join(sorted(account.roles)) or "none"
    )
    behind = "" if change.directory_synced else " Clerk could not be updated yet; a job will retry it."
    return await account_page(request, clerk_user_id, notice=f"{notice} (on the audit log).{behind}")


@post("/accounts/{clerk_user_id:str}/roles", name="console_change_account_roles")
async def change_roles(request: AnyRequest, clerk_user_id: FromPath[str]) -> Template:
    """The form's ticked ``role`` boxes are the account's roles; none ticked: no roles."""
    form = await request.form()
    return await _change(request, clerk_user_id, roles=list(form.getall("role", [])), deactivated=None)


@post("/accounts/{clerk_user_id:str}/deactivate", name="console_deactivate_account")
async def deactivate_account(request: AnyRequest, clerk_user_id: FromPath[str]) -> Template:
    return await _change(request, clerk_user_id, roles=None, deactivated=True)


@post("/accounts/{clerk_user_id:str}/reactivate", name="console_reactivate_account")
async def reactivate_account(request: AnyRequest, clerk_user_id: FromPath[str]) -> Template:
    return await _change(request, clerk_user_id, roles=None, deactivated=False)


ROUTES = [accounts, accounts_csv, show_account, change_roles, deactivate_account, reactivate_account]
