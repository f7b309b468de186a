"""The sandbox gateway's failure controls for operators and end-to-end tests (API key only):
``POST /sandbox/faults`` makes the next calls fail, ``GET`` lists the failures still to come, ``DELETE``
forgets them. Refused (409 ``sandbox_not_in_use``) unless PAYMENT_GATEWAY is sandbox, so they can never
touch a real gateway; the same controls are ``cap-portal payments sandbox …``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import delete, get, post
from litestar.params import JSONBody

from adapters.postgres.money.sandbox_gateway import OPERATIONS, Fault, PendingFault, SandboxGateway
from domain.errors import RuleRefused
from domain.money.errors import SandboxNotInUse
from entrypoints.http.api_keys import require_api_key
from entrypoints.http.programme.actors import AnyRequest
from entrypoints.http.services import services_of


class FaultRequest(msgspec.Struct, forbid_unknown_fields=True):
    fault: Fault  # declined | timeout | error_after_move
    operation: Annotated[str, msgspec.Meta(max_length=40)] = "*"  # a gateway operation, or * for any
    times: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1


class FaultJson(msgspec.Struct):
    fault: str
    operation: str
    remaining: int


class FaultsJson(msgspec.Struct):
    faults: list[FaultJson]


class ClearedJson(msgspec.Struct):
    cleared: int


def _sandbox(request: AnyRequest) -> SandboxGateway:
    services = services_of(request)
    if services.settings.payment_gateway != "sandbox":
        raise SandboxNotInUse()
    gateway = services.gateway
    assert isinstance(gateway, SandboxGateway)
    return gateway


def _json(fault: PendingFault) -> FaultJson:
    return FaultJson(fault=fault.fault.value, operation=fault.operation, remaining=fault.remaining)


@post("/sandbox/faults", guards=[require_api_key], summary="Make the sandbox gateway's next calls fail")
async def add_sandbox_fault(request: AnyRequest, data: JSONBody[FaultRequest]) -> FaultsJson:
    gateway = _sandbox(request)
    if data.operation != "*" and data.operation not in OPERATIONS:
        raise RuleRefused(
            f"operation must be * or one of {', '.join(OPERATIONS)}",
            code="unknown_operation",
            details={"operation": data.operation},
        )
    await gateway.fail_next(data.fault, operation=data.operation, times=data.times)
    return FaultsJson([_json(f) for f in await gateway.pending_faults()])


@get("/sandbox/faults", guards=[require_api_key], summary="The sandbox gateway's failures still to come")
async def list_sandbox_faults(request: AnyRequest) -> FaultsJson:
    return FaultsJson([_json(f) for f in await _sandbox(request).pending_faults()])


@delete(
    "/sandbox/faults",
    guards=[require_api_key],
    status_code=200,
    summary="Forget the sandbox gateway's failures still to come",
)
async def clear_sandbox_faults(request: AnyRequest) -> ClearedJson:
    return ClearedJson(cleared=await _sandbox(request).clear_faults())


ROUTES = [add_sandbox_fault, list_sandbox_faults, clear_sandbox_faults]
