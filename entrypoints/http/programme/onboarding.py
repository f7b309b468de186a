"""``POST /family/onboard`` and ``POST /provider/onboard`` (API key): the application site links a
Clerk user to a family or provider record.

The answer is 200 whether this call linked the account or an earlier one had: onboarding is
idempotent. ``directory_synced`` is false when Clerk's public_metadata could not be written after
the commit; the account is linked all the same, and the job ``directory_sync_job_id`` (always
created with the onboarding, see ``GET /jobs/{id}/status``) writes it once Clerk answers again.
``portal_invitation_message_id`` is the sign-in invitation's message record (sent after the commit).
"""

from __future__ import annotations

import logging

import msgspec
from litestar import post
from litestar.params import JSONBody

from adapters.postgres.accounts import SqlAlchemyAccounts
from adapters.postgres.invitations import SqlAlchemyInvitationsUnitOfWork
from domain import onboarding
from domain.audit import AuditStamp, who
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.programme.actors import AnyRequest
from entrypoints.http.services import services_of

logger = logging.getLogger("cap_portal.onboarding")


class FamilyOnboarding(msgspec.Struct, forbid_unknown_fields=True):
    clerk_user_id: str
    family_id: str


class ProviderOnboarding(msgspec.Struct, forbid_unknown_fields=True):
    clerk_user_id: str
    provider_id: str


class OnboardedJson(msgspec.Struct):
    message: str
    clerk_user_id: str
    roles: list[str]
    family_id: str | None
    provider_id: str | None
    allocations_created: int
    directory_synced: bool
    directory_sync_job_id: str
    # GET /messages/{id} says whether it has been sent; null when the person has no email address.
    portal_invitation_message_id: int | None
    # Linked to the provider of the invitation the application came through (``link_id``), by this call.
    linked_child_ids: list[str]


def _json(done: onboarding.Onboarded) -> OnboardedJson:
    account = done.account
    return OnboardedJson(
        message="Onboarded",
        clerk_user_id=account.clerk_user_id,
        roles=sorted(role.value for role in account.roles),
        family_id=account.family_id,
        provider_id=account.provider_id,
        allocations_created=done.allocations_created,
        directory_synced=done.directory_synced,
        directory_sync_job_id=done.directory_sync_job_id,
        portal_invitation_message_id=done.portal_invitation_message_id,
        linked_child_ids=list(done.linked_child_ids),
    )


def _log(done: onboarding.Onboarded) -> None:
    extra = {
        "clerk_user_id": done.account.clerk_user_id,
        "directory_synced": done.directory_synced,
        "directory_sync_job_id": done.directory_sync_job_id,
    }
    logger.info("onboarded", extra=extra)


def _uow(request: AnyRequest) -> SqlAlchemyInvitationsUnitOfWork:
    services = services_of(request)
    # The invitations sit beside the programme's records: a link_id's acceptance commits with the onboarding.
    return SqlAlchemyInvitationsUnitOfWork(services.session_factory, jobs=services.job_queue)


def _stamp(request: AnyRequest) -> AuditStamp:
    """The application site (its API key) linking an account is on the audit log."""
    return AuditStamp(who("admin-api", "api-key"), services_of(request).clock.now())


@post("/family/onboard", guards=[require_api_key], status_code=200, summary="Link a Clerk user to a family")
async def onboard_family(request: AnyRequest, data: JSONBody[FamilyOnboarding]) -> OnboardedJson:
    services = services_of(request)
    uow = _uow(request)
    done = await onboarding.onboard_family(
        uow,
        SqlAlchemyAccounts(uow),
        services.identity.directory,
        services.job_queue,
        services.calendar,
        services.rules,
        clerk_user_id=data.clerk_user_id,
        family_id=data.family_id,
        audit=_stamp(request),
    )
    _log(done)
    return _json(done)


@post(
    "/provider/onboard", guards=[require_api_key], status_code=200, summary="Link a Clerk user to a provider"
)
async def onboard_provider(request: AnyRequest, data: JSONBody[ProviderOnboarding]) -> OnboardedJson:
    services = services_of(request)
    uow = _uow(request)
    done = await onboarding.onboard_provider(
        uow,
        SqlAlchemyAccounts(uow),
        services.identity.directory,
        services.job_queue,
        services.calendar,
        services.rules,
        clerk_user_id=data.clerk_user_id,
        provider_id=data.provider_id,
        audit=_stamp(request),
    )
    _log(done)
    return _json(done)


ROUTES = [onboard_family, onboard_provider]
