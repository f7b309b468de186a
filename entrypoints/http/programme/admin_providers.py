"""``/admin/providers``: staff and the application site push providers and decide which children they
care for. A body carrying a known ``external_id`` updates that provider (200) instead of creating one."""

from __future__ import annotations

import logging

import msgspec
from litestar import Response, delete, get, patch, post, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody

from domain.audit import AuditStamp, who
from domain.programme.use_cases import admin_reads, providers
from entrypoints.http.auth import api_key_or_admin, operator
from entrypoints.http.params import Offset
from entrypoints.http.programme.actors import AnyRequest, programme_actor
from entrypoints.http.programme.admin_families import DEFAULT_PAGE_SIZE, UPDATED, Limit
from entrypoints.http.programme.admin_schemas import ProviderIn, ProviderPatch, kept
from entrypoints.http.programme.admin_views import (
    ProviderOut,
    ProviderPage,
    provider_record_out,
)
from entrypoints.http.services import services_of

logger = logging.getLogger("cap_portal.admin")


class LinkOut(msgspec.Struct):
    provider_id: str
    child_id: str
    linked: bool
    changed: bool  # false when the call found it already so (PUT and DELETE are idempotent)


@post(
    "/admin/providers",
    guards=[api_key_or_admin],
    responses={200: ResponseSpec(data_container=ProviderOut, description=UPDATED)},
    summary="Create a provider (or update it by external_id)",
)
async def save_provider(request: AnyRequest, data: JSONBody[ProviderIn]) -> Response[ProviderOut]:
    services, actor = services_of(request), await programme_actor(request)
    saved = await providers.save_provider(
        services.programme_unit_of_work(), actor, data.details(), audit=_stamp(request)
    )
    record = await admin_reads.get_provider(services.programme_reads(), actor, saved.provider.id)
    logger.info(
        "provider saved",
        extra={"by": operator(request), "provider_id": saved.provider.id, "was_created": saved.created},
    )
    return Response(provider_record_out(record), status_code=201 if saved.created else 200)


@get("/admin/providers", guards=[api_key_or_admin], summary="Providers, oldest first, a page at a time")
async def list_providers(
    request: AnyRequest, limit: Limit = DEFAULT_PAGE_SIZE, offset: Offset = 0
) -> ProviderPage:
    services, actor = services_of(request), await programme_actor(request)
    page = admin_reads.Page(limit, offset)
    listing = await admin_reads.list_providers(services.programme_reads(), actor, page)
    items = [provider_record_out(r) for r in listing.items]
    return ProviderPage(items=items, limit=limit, offset=offset, next_offset=listing.next_offset)


@get("/admin/providers/{provider_id:str}", guards=[api_key_or_admin], summary="One provider and its children")
async def read_provider(request: AnyRequest, provider_id: FromPath[str]) -> ProviderOut:
    services, actor = services_of(request), await programme_actor(request)
    record = await admin_reads.get_provider(services.programme_reads(), actor, provider_id)
    return provider_record_out(record)


@patch("/admin/providers/{provider_id:str}", guards=[api_key_or_admin], summary="Change a provider")
async def change_provider(
    request: AnyRequest, provider_id: FromPath[str], data: JSONBody[ProviderPatch]
) -> ProviderOut:
    services, actor = services_of(request), await programme_actor(request)
    changes = providers.ProviderChanges(
        name=kept(data.name),
        type=kept(data.type),
        email=kept(data.email),
        phone_number=kept(data.phone_number),
        status=kept(data.status),
        payment_enabled=kept(data.payment_enabled),
        preferred_language=kept(data.preferred_language),
        external_id=kept(data.external_id),
    )
    provider = await providers.update_provider(
        services.programme_unit_of_work(), actor, provider_id, changes, audit=_stamp(request)
    )
    logger.info("provider changed", extra={"by": operator(request), "provider_id": provider_id})
    record = await admin_reads.get_provider(services.programme_reads(), actor, provider.id)
    return provider_record_out(record)


def _stamp(request: AnyRequest) -> AuditStamp:
    """Who is changing what, for the audit log: the admin API and the operator behind it."""
    return AuditStamp(who("admin-api", operator(request)), services_of(request).clock.now())


LINK_PATH = "/admin/providers/{provider_id:str}/children/{child_id:str}"


@put(LINK_PATH, guards=[api_key_or_admin], summary="The provider cares for the child (409 beyond capacity)")
async def link_child(request: AnyRequest, provider_id: FromPath[str], child_id: FromPath[str]) -> LinkOut:
    services, actor = services_of(request), await programme_actor(request)
    uow = services.programme_unit_of_work()
    changed = await providers.link_provider_to_child(
        uow, services.rules, actor, provider_id, child_id, audit=_stamp(request)
    )
    logger.info(
        "provider linked", extra={"by": operator(request), "provider_id": provider_id, "child_id": child_id}
    )
    return LinkOut(provider_id, child_id, linked=True, changed=changed)


@delete(
    LINK_PATH,
    guards=[api_key_or_admin],
    status_code=200,
    summary="The provider no longer cares for the child",
)
async def unlink_child(request: AnyRequest, provider_id: FromPath[str], child_id: FromPath[str]) -> LinkOut:
    services, actor = services_of(request), await programme_actor(request)
    changed = await providers.unlink_provider_from_child(
        services.programme_unit_of_work(), actor, provider_id, child_id, audit=_stamp(request)
    )
    logger.info(
        "provider unlinked", extra={"by": operator(request), "provider_id": provider_id, "child_id": child_id}
    )
    return LinkOut(provider_id, child_id, linked=False, changed=changed)


ROUTES = [save_provider, list_providers, read_provider, change_provider, link_child, unlink_child]
