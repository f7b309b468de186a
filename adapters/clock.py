"""The real clock."""

from __future__ import annotations

from datetime import UTC, datetime


class SystemClock:
    """Satisfies ``domain.ports.Clock``."""

    def now(self) -> datetime:
        return datetime.now(UTC)
