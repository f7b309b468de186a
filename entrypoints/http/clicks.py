"""``/clicks``: the frontend's banner and link clicks (frontend-contract §2.24, upstream §2.11).

Any signed-in family or provider. ``POST`` counts a click: 201 for a person's first click on a tracking
id, 200 for the ones after (the count goes up atomically in the database, so concurrent posts all count).
``GET ?tracking_id=`` answers 200 when this person has clicked it (the frontend then hides the banner)
and 404 when not.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Response, get, post
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, QueryParameter

from adapters.postgres.engagement import RawClickCounter
from domain.engagement import clicks
from domain.identity.model import Role
from entrypoints.http.programme.actors import AnyRequest, person_guard, signed_in_account
from entrypoints.http.services import services_of

TrackingId = Annotated[str, msgspec.Meta(min_length=1, max_length=clicks.MAX_TRACKING_ID)]
TrackingQuery = Annotated[str, QueryParameter(min_length=1, max_length=clicks.MAX_TRACKING_ID)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=clicks.MAX_URL)]

clicker = person_guard(Role.FAMILY, Role.PROVIDER)


class NewClick(msgspec.Struct, forbid_unknown_fields=True):
    tracking_id: TrackingId
    url: Url | None = None  # for external links


class ClickJson(msgspec.Struct):
    tracking_id: str


def _counter(request: AnyRequest) -> RawClickCounter:
    return RawClickCounter(services_of(request).raw_pool)


@post(
    "/clicks",
    guards=[clicker],
    status_code=201,
    summary="Count a click on a banner or link (201 the first time, 200 after)",
    responses={200: ResponseSpec(data_container=ClickJson, description="Counted again")},
)
async def count_click(request: AnyRequest, data: JSONBody[NewClick]) -> Response[ClickJson]:
    first = await clicks.record_click(
        _counter(request), await signed_in_account(request), data.tracking_id, data.url
    )
    return Response(ClickJson(data.tracking_id), status_code=201 if first else 200)


@get(
    "/clicks",
    guards=[clicker],
    summary="Whether the signed-in person has clicked this tracking id (404 when not)",
    opt={"own_records": True},
)
async def read_click(
    request: AnyRequest,
    tracking_id: Annotated[str, QueryParameter(min_length=1, max_length=clicks.MAX_TRACKING_ID)],
) -> ClickJson:
    await clicks.check_clicked(_counter(request), await signed_in_account(request), tracking_id)
    return ClickJson(tracking_id)


ROUTES = [count_click, read_click]
