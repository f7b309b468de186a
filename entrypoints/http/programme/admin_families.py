"""``/admin/families`` and ``/admin/children``: staff and the application site push families with their
guardians and children. A body carrying a known ``external_id`` updates that record (200) instead of
creating another (201)."""

from __future__ import annotations

import logging
from typing import Annotated

from litestar import Response, get, patch, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter

from domain.audit import AuditStamp, who
from domain.programme.use_cases import admin_reads, families
from entrypoints.http.auth import api_key_or_admin, operator
from entrypoints.http.params import Offset
from entrypoints.http.programme.actors import AnyRequest, programme_actor
from entrypoints.http.programme.admin_schemas import ChildPatch, FamilyIn, FamilyPatch, kept
from entrypoints.http.programme.admin_views import (
    ChildOut,
    FamilyOut,
    FamilyPage,
    child_out,
    family_out,
    family_record_out,
)
from entrypoints.http.services import services_of

logger = logging.getLogger("cap_portal.admin")
DEFAULT_PAGE_SIZE = 50
UPDATED = "Updated: the body's external_id was already known"
Limit = Annotated[int, QueryParameter(ge=1, le=admin_reads.MAX_PAGE_SIZE)]


@post(
    "/admin/families",
    guards=[api_key_or_admin],
    responses={200: ResponseSpec(data_container=FamilyOut, description=UPDATED)},
    summary="Create a family (or update it by external_id)",
)
async def save_family(request: AnyRequest, data: JSONBody[FamilyIn]) -> Response[FamilyOut]:
    services, actor = services_of(request), await programme_actor(request)
    uow = services.programme_unit_of_work()
    today = services.calendar.today()
    audit = AuditStamp(who("admin-api", operator(request)), services.clock.now())
    saved = await families.save_family(uow, services.rules, actor, data.details(), today=today, audit=audit)
    logger.info(
        "family saved",
        extra={"by": operator(request), "family_id": saved.family.id, "was_created": saved.created},
    )
    return Response(family_out(saved.family, saved.children), status_code=201 if saved.created else 200)


@get("/admin/families", guards=[api_key_or_admin], summary="Families, oldest first, a page at a time")
async def list_families(
    request: AnyRequest, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> FamilyPage:
    services, actor = services_of(request), await programme_actor(request)
    page = admin_reads.Page(limit, offset)
    listing = await admin_reads.list_families(services.programme_reads(), actor, page)
    items = [family_record_out(r) for r in listing.items]
    return FamilyPage(items=items, limit=limit, offset=offset, next_offset=listing.next_offset)


@get("/admin/families/{family_id:str}", guards=[api_key_or_admin], summary="One family with its children")
async def read_family(request: AnyRequest, family_id: FromPath[str]) -> FamilyOut:
    services, actor = services_of(request), await programme_actor(request)
    return family_record_out(await admin_reads.get_family(services.programme_reads(), actor, family_id))


@patch("/admin/families/{family_id:str}", guards=[api_key_or_admin], summary="Change a family")
async def change_family(
    request: AnyRequest, family_id: FromPath[str], data: JSONBody[FamilyPatch]
) -> FamilyOut:
    services, actor = services_of(request), await programme_actor(request)
    guardians = kept(data.guardians)
    changes = families.FamilyChanges(
        guardians=guardians if not isinstance(guardians, list) else tuple(g.details() for g in guardians),
        language=kept(data.language),
        zip_code=kept(data.zip),
        link_id=kept(data.link_id),
        external_id=kept(data.external_id),
    )
    audit = AuditStamp(who("admin-api", operator(request)), services.clock.now())
    await families.update_family(services.programme_unit_of_work(), actor, family_id, changes, audit=audit)
    logger.info("family changed", extra={"by": operator(request), "family_id": family_id})
    return family_record_out(await admin_reads.get_family(services.programme_reads(), actor, family_id))


@patch("/admin/children/{child_id:str}", guards=[api_key_or_admin], summary="Change a child")
async def change_child(request: AnyRequest, child_id: FromPath[str], data: JSONBody[ChildPatch]) -> ChildOut:
    services, actor = services_of(request), await programme_actor(request)
    changes = families.ChildChanges(
        first_name=kept(data.first_name),
        last_name=kept(data.last_name),
        status=kept(data.status),
        payment_enabled=kept(data.payment_enabled),
        monthly_allocation_cents=kept(data.monthly_allocation_cents),
        prorated_allocation_cents=kept(data.prorated_allocation_cents),
        external_id=kept(data.external_id),
    )
    audit = AuditStamp(who("admin-api", operator(request)), services.clock.now())
    child = await families.update_child(
        services.programme_unit_of_work(), services.rules, actor, child_id, changes, audit=audit
    )
    logger.info("child changed", extra={"by": operator(request), "child_id": child_id})
    return child_out(child)


ROUTES = [save_family, list_families, read_family, change_family, change_child]
