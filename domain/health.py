"""The health use case: is every dependency of this process answering?"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from domain.ports import DependencyProbe

logger = logging.getLogger(__name__)

CONNECTED = "connected"
DISCONNECTED = "disconnected"


@dataclass(frozen=True, slots=True)
class HealthReport:
    components: dict[str, str]

    @property
    def healthy(self) -> bool:
        return all(state == CONNECTED for state in self.components.values())

    @property
    def failing(self) -> list[str]:
        return [name for name, state in self.components.items() if state != CONNECTED]


async def check_health(probes: Sequence[DependencyProbe], timeout_seconds: float) -> HealthReport:
    """Probe every dependency at once; one that errors or is slower than the timeout is down.

    A probe that hangs must not hang the health check: load balancers need a quick answer.
    """
    results = await asyncio.gather(
        *(_probe(probe, timeout_seconds) for probe in probes),
    )
    return HealthReport(components=dict(results))


async def _probe(probe: DependencyProbe, timeout_seconds: float) -> tuple[str, str]:
    try:
        await asyncio.wait_for(probe.check(), timeout=timeout_seconds)
    except Exception as exc:  # noqa: BLE001 - any failure means "not connected", by definition
        logger.warning("health probe failed", extra={"component": probe.name, "reason": repr(exc)})
        return probe.name, DISCONNECTED
    return probe.name, CONNECTED
