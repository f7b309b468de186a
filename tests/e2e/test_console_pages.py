"""The console's pages and actions in the test client: search with pagination, a family's page, a
child's allocation changed through the use case with its audit entry, a failed payment retried through
``pay_intent``, CSV exports; refusals are readable pages."""

from __future__ import annotations

import csv
import io

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.postgres.money.sandbox_gateway import Fault, SandboxGateway
from tests.e2e.identity_support import create_account
from tests.e2e.payment_support import days_from, payable_household, schedule, submit_path
from tests.e2e.programme_support import FIRST_OPEN_DAY, Client, family_body, post_ok, provider_body
from tests.fake_clerk import FakeClerk
from tests.tokens import TokenMinter


async def _sign_in_staff(client: Client, minter: TokenMinter) -> None:
    await create_account(client, "user_staff", "admin")
    client.cookies.set("__session", minter.token("user_staff"))


async def _csrf(client: Client) -> str:
    await client.get("/console")
    token = client.cookies.get("cap_console_csrf")
    assert token
    return token


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_search_finds_families_children_and_providers_a_page_at_a_time(
    programme_client: Client, minter: TokenMinter
) -> None:
    await _sign_in_staff(programme_client, minter)
    family = await post_ok(programme_client, "/admin/families", family_body("zed"))
    await post_ok(programme_client, "/admin/providers", provider_body("zed", phone_number="+17205550199"))
    for query, kind in (("ana zed", "family"), ("ANA.ZED@X", "family"), ("kid0 zed", "child"),
                        ("care zed", "provider"), ("720-555-0199", "provider")):  # fmt: skip
        page = await programme_client.get("/console/search", params={"q": query})
        assert page.status_code == 200, page.text
        assert f"<td>{kind}</td>" in page.text, query
    assert f"/console/families/{family['id']}" in (await programme_client.get("/console/search?q=zed")).text
    nothing = await programme_client.get("/console/search", params={"q": "%_"})  # LIKE's own characters
    assert "Nothing matches." in nothing.text

    for n in range(26):
        await post_ok(programme_client, "/admin/families", family_body(f"many{n:02d}"))
    first = await programme_client.get("/console/search", params={"q": "many", "kind": "family"})
    assert first.text.count("<td>family</td>") == 25
    assert 'rel="next"' in first.text
    second = await programme_client.get("/console/search", params={"q": "many", "kind": "family", "page": 2})
    assert second.text.count("<td>family</td>") == 1
    assert 'rel="prev"' in second.text
    assert 'rel="next"' not in second.text
    exported = await programme_client.get("/console/search.csv", params={"q": "many", "kind": "family"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert len(_csv(exported.text)) == 26


async def test_staff_change_a_childs_allocation_and_it_is_on_the_audit_log(
    programme_client: Client, minter: TokenMinter
) -> None:
    await _sign_in_staff(programme_client, minter)
    family = await post_ok(programme_client, "/admin/families", family_body("alloc"))
    child_id = family["children"][0]["id"]
    page = await programme_client.get(f"/console/families/{family['id']}")
    assert page.status_code == 200
    assert "Ana alloc Doe" in page.text
    assert "Kid0 alloc Doe" in page.text
    token = await _csrf(programme_client)
    form = {"_csrf_token": token, "family_id": family["id"]}
    changed = await programme_client.post(
        f"/console/children/{child_id}/allocation", data={**form, "monthly_allocation": "950.50"}
    )
    assert changed.status_code == 200, changed.text
    assert "monthly allocation is now $950.50" in changed.text
    too_much = await programme_client.post(
        f"/console/children/{child_id}/allocation", data={**form, "monthly_allocation": "1500"}
    )
    assert too_much.status_code == 400
    assert "The allocation was not changed: child.monthly_allocation_cents: must be" in too_much.text
    garbled = await programme_client.post(
        f"/console/children/{child_id}/allocation", data={**form, "monthly_allocation": "lots"}
    )
    assert garbled.status_code == 400
    assert "Write the amount in dollars" in garbled.text
    for refusal in (too_much, garbled):
        assert refusal.headers["content-type"].startswith("text/html")
        assert '"code"' not in refusal.text
    audit = await programme_client.get("/console/audit", params={"record_id": child_id})
    assert audit.text.count("child.changed") == 1
    assert "console:user_staff" in audit.text
    assert "monthly_allocation_cents" in audit.text
    assert "120000 → 95050" in audit.text
    row, created = _csv(
        (await programme_client.get("/console/audit.csv", params={"record_id": child_id})).text
    )
    assert (created["actor"], created["action"]) == ("admin-api:api-key", "child.created")  # the push
    assert (row["actor"], row["action"], row["changed"]) == (
        "console:user_staff",
        "child.changed",
        "monthly_allocation_cents",
    )
    missing = await programme_client.get("/console/families/not-a-family")
    assert missing.status_code == 404
    assert "There is no family with that id." in missing.text


async def test_staff_retry_a_failed_payment_on_the_sandbox(
    programme_client: Client,
    minter: TokenMinter,
    fake_clerk: FakeClerk,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    home = await payable_household(programme_client, minter, fake_clerk, sessions, "retry")
    await schedule(programme_client, home, days_from(FIRST_OPEN_DAY, 2))
    await SandboxGateway(sessions).fail_next(Fault.DECLINED, operation="transfer_to_provider")
    declined = await programme_client.post(submit_path(home), headers=home.family_headers)
    assert declined.status_code == 400, declined.text
    intent_id = declined.json()["details"]["intent_id"]
    await _sign_in_staff(programme_client, minter)

    listed = await programme_client.get("/console/payments/failed")
    assert f"/console/payments/{intent_id}/retry" in listed.text
    [exported] = _csv((await programme_client.get("/console/payments/failed.csv")).text)
    assert (exported["intent_id"], exported["attempts"]) == (intent_id, "1")
    family_page = await programme_client.get(f"/console/families/{home.family_id}")
    assert "status-failed" in family_page.text
    provider_page = await programme_client.get(f"/console/providers/{home.provider_id}")
    assert provider_page.status_code == 200
    assert "Kid0 retry Doe" in provider_page.text  # in its care, with the rates
    assert "$40.00" in provider_page.text
    assert "status-failed" in provider_page.text
    assert "card" in provider_page.text
    missing = await programme_client.get("/console/providers/nope")
    assert (missing.status_code, "There is no provider with that id." in missing.text) == (404, True)

    token = await _csrf(programme_client)
    retried = await programme_client.post(f"/console/payments/{intent_id}/retry", data={"_csrf_token": token})
    assert retried.status_code == 200, retried.text
    assert "went through (attempt 2" in retried.text
    assert f"/console/payments/{intent_id}/retry" not in retried.text  # no longer failed
    again = await programme_client.post(f"/console/payments/{intent_id}/retry", data={"_csrf_token": token})
    assert again.status_code == 400
    assert "it is paid already" in again.text
    audit = await programme_client.get("/console/audit", params={"record_id": intent_id})
    assert audit.text.count("payment_intent.retried") == 1  # the refused second try changed nothing
    assert "failed → processing" in audit.text
    nobody = await programme_client.post(
        "/console/payments/00000000-0000-4000-8000-000000000000/retry", data={"_csrf_token": token}
    )
    assert nobody.status_code == 400
    assert "The payment was not retried:" in nobody.text
