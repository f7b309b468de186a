"""Invitations between families and providers (frontend-contract §2.5–§2.7, §2.12–§2.13).

- ``POST /family/invite-provider`` (family) and ``POST /provider/invite-family`` (provider): one
  invitation, one public token, the email (and a text when a cell number is given) in the chosen
  language, and the staff's notice. 201 ``{invitation_id, path}``.
- ``GET /family/provider-invite/{id}`` and ``GET /provider/family-invite/{id}``: sign-in optional (the
  link in the email is opened before anyone signs in); the first opening is stamped.
- ``POST …/accept``: links the provider to the children at once, within ``MAX_CHILDREN_PER_PROVIDER``;
  400 with ``error`` when already accepted, already caring, or no place is left.
"""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.params import FromPath, JSONBody

from adapters.postgres.invitations import SqlAlchemyInvitationsUnitOfWork
from domain.errors import DependencyUnavailable, DomainError
from domain.identity.model import Role
from domain.invitations import use_cases as invitations
from domain.invitations.messages import invite_path
from domain.invitations.use_cases import Acceptance, Invitee
from domain.programme.actors import Actor
from domain.programme.families import Child
from domain.programme.statuses import Language
from entrypoints.http.auth import current_caller
from entrypoints.http.openapi import BEARER
from entrypoints.http.programme.actors import (
    AnyRequest,
    actor_for_account,
    family_person,
    person_guard,
    programme_actor,
)
from entrypoints.http.services import services_of

provider_person = person_guard(Role.PROVIDER)
OPTIONAL_SIGN_IN: list[dict[str, list[str]]] = [{}, {BEARER: []}]  # anonymous, or a session token

Email = Annotated[str, msgspec.Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Cell = Annotated[str, msgspec.Meta(pattern=r"^\+1[0-9]{10}$")]  # the frontend's form: "+1" and 10 digits
ChildIds = Annotated[
    list[Annotated[str, msgspec.Meta(min_length=1, max_length=100)]], msgspec.Meta(max_length=20)
]


class ProviderInvite(msgspec.Struct, forbid_unknown_fields=True):
    provider_email: Email
    child_ids: ChildIds
    provider_cell: Cell | None = None
    lang: Language | None = None


class FamilyInvite(msgspec.Struct, forbid_unknown_fields=True):
    family_email: Email
    family_cell: Cell | None = None
    lang: Language | None = None


class Chosen(msgspec.Struct, forbid_unknown_fields=True):
    child_ids: ChildIds


class Made(msgspec.Struct):
    invitation_id: str
    path: str


class Person(msgspec.Struct):
    id: str
    first_name: str
    last_name: str


class ProviderPerson(msgspec.Struct):
    id: str
    name: str
    first_name: str | None
    last_name: str | None


class ProviderInviteJson(msgspec.Struct):
    invitation_id: str
    accepted: bool
    child: Person | None  # the first invited child (the frontend's heading)
    children: list[Person]
    family: Person
    already_caring_for: bool
    at_max_child_count: bool
    remaining_slots: int | None  # the signed-in provider's free places; null when not a provider


class FamilyInviteJson(msgspec.Struct):
    invitation_id: str
    accepted: bool
    provider: ProviderPerson
    children: list[Person] | None  # null: nobody (or no family) is signed in, the frontend offers to apply
    is_already_provider: bool
    remaining_slots: int


class Accepted(msgspec.Struct):
    accepted: bool
    linked_child_ids: list[str]
    not_linked_child_ids: list[str]  # no place was left for these


def _uow(request: AnyRequest) -> SqlAlchemyInvitationsUnitOfWork:
    services = services_of(request)
    return SqlAlchemyInvitationsUnitOfWork(services.session_factory, jobs=services.job_queue)


def _token() -> str:
    return str(uuid.uuid4())


def _person(child: Child) -> Person:
    return Person(child.id, child.first_name, child.last_name)


def _accepted(done: Acceptance) -> Accepted:
    return Accepted(True, list(done.linked_child_ids), list(done.not_linked_child_ids))


async def _viewer(request: AnyRequest) -> Actor | None:
    """Who opens an invite, if anyone: a bad or expired token, an unlinked or deactivated account are
    all just "not signed in" here, as on ``/auth/status``; an outage (503) is still reported."""
    try:
        caller = await current_caller(request)
        if caller is None or caller.account is None or caller.account.deactivated:
            return None
        return actor_for_account(caller.account)
    except DependencyUnavailable:
        raise
    except DomainError:  # Unauthenticated, Forbidden (not linked)
        return None


@post(
    "/family/invite-provider",
    guards=[family_person],
    summary="Invite a provider to care for children (404: a child that is not the family's)",
    opt={"own_records": True},
)
async def invite_provider(request: AnyRequest, data: JSONBody[ProviderInvite]) -> Made:
    services = services_of(request)
    invitee = Invitee(data.provider_email, data.provider_cell, data.lang)
    actor = await programme_actor(request)
    made = await invitations.invite_provider(
        _uow(request), services.clock, _token, actor, invitee, data.child_ids
    )
    return Made(made.token, invite_path(made))


@post(
    "/provider/invite-family",
    guards=[provider_person],
    summary="Invite a family into the programme",
    opt={"own_records": True},
)
async def invite_family(request: AnyRequest, data: JSONBody[FamilyInvite]) -> Made:
    services = services_of(request)
    invitee = Invitee(data.family_email, data.family_cell, data.lang)
    made = await invitations.invite_family(
        _uow(request), services.clock, _token, await programme_actor(request), invitee
    )
    return Made(made.token, invite_path(made))


@get(
    "/family/provider-invite/{invite_id:str}",
    summary="A family's invitation, as the invited provider sees it (sign-in optional)",
    security=OPTIONAL_SIGN_IN,
)
async def provider_invite(request: AnyRequest, invite_id: FromPath[str]) -> ProviderInviteJson:
    services = services_of(request)
    view = await invitations.view_provider_invite(
        _uow(request), services.rules, services.clock, invite_id, await _viewer(request)
    )
    guardian = view.family.primary_guardian
    family = Person(
        view.family.id, guardian.first_name if guardian else "", guardian.last_name if guardian else ""
    )
    children = [_person(c) for c in view.children]
    return ProviderInviteJson(
        invitation_id=view.invitation.token,
        accepted=view.invitation.accepted,
        child=children[0] if children else None,
        children=children,
        family=family,
        already_caring_for=view.already_caring_for,
        at_max_child_count=view.at_max_child_count,
        remaining_slots=view.remaining_slots,
    )


@post(
    "/family/provider-invite/{invite_id:str}/accept",
    guards=[provider_person],
    status_code=200,
    summary="Accept a family's invitation: the provider is linked to the children",
)
async def accept_provider_invite(request: AnyRequest, invite_id: FromPath[str]) -> Accepted:
    services = services_of(request)
    actor = await programme_actor(request)
    done = await invitations.accept_provider_invite(
        _uow(request), services.rules, services.clock, actor, invite_id
    )
    return _accepted(done)


@get(
    "/provider/family-invite/{invite_id:str}",
    summary="A provider's invitation, as the invited family sees it (sign-in optional)",
    security=OPTIONAL_SIGN_IN,
)
async def family_invite(request: AnyRequest, invite_id: FromPath[str]) -> FamilyInviteJson:
    services = services_of(request)
    view = await invitations.view_family_invite(
        _uow(request), services.rules, services.clock, invite_id, await _viewer(request)
    )
    p = view.provider
    return FamilyInviteJson(
        invitation_id=view.invitation.token,
        accepted=view.invitation.accepted,
        provider=ProviderPerson(p.id, p.name, p.first_name, p.last_name),
        children=None if view.children is None else [_person(c) for c in view.children],
        is_already_provider=view.is_already_provider,
        remaining_slots=view.remaining_slots,
    )


@post(
    "/provider/family-invite/{invite_id:str}/accept",
    guards=[family_person],
    status_code=200,
    summary="Accept a provider's invitation for the chosen children: the provider is linked to them",
)
async def accept_family_invite(
    request: AnyRequest, invite_id: FromPath[str], data: JSONBody[Chosen]
) -> Accepted:
    services = services_of(request)
    actor = await programme_actor(request)
    done = await invitations.accept_family_invite(
        _uow(request), services.rules, services.clock, actor, invite_id, data.child_ids
    )
    return _accepted(done)


ROUTES = [
    invite_provider,
    invite_family,
    provider_invite,
    accept_provider_invite,
    family_invite,
    accept_family_invite,
]
