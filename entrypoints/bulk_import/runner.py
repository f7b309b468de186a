"""Saves import records through the admin API's use cases, each in its own transaction, and sums up."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from domain.errors import DomainError
from domain.programme.actors import Actor
from domain.programme.config import ProgrammeRules
from domain.programme.ports import ProgrammeUnitOfWork
from domain.programme.use_cases import families, providers
from entrypoints.bulk_import.records import Body, ImportRecord, Kind, Rejection
from entrypoints.http.errors import DEPENDENCY_DOWN
from entrypoints.http.programme.admin_schemas import FamilyIn, ProviderIn

logger = logging.getLogger("cap_portal.import")
STAFF = Actor.admin()  # whoever may run the command may change reference data, as with an API key


class Result(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"  # a link that already existed
    REJECTED = "rejected"


# What the summary counts for each kind, in this order.
RESULTS_SHOWN = {
    Kind.PROVIDERS: (Result.CREATED, Result.UPDATED, Result.REJECTED),
    Kind.FAMILIES: (Result.CREATED, Result.UPDATED, Result.REJECTED),
    Kind.LINKS: (Result.CREATED, Result.UNCHANGED, Result.REJECTED),
}


class ImportAborted(RuntimeError):
    """A dependency is down: every later record would fail the same way, so the import stops."""


@dataclass(frozen=True, slots=True)
class Outcome:
    record: ImportRecord
    result: Result
    rejection: Rejection | None = None


@dataclass(frozen=True, slots=True)
class Importer:
    unit_of_work: Callable[[], ProgrammeUnitOfWork]
    rules: ProgrammeRules

    async def save(self, record: ImportRecord) -> Outcome:
        if record.body is None:
            return Outcome(record, Result.REJECTED, record.rejection)
        try:
            result = await self._save(record.body)
        except DomainError as exc:
            field = exc.details.get("field") if isinstance(exc.details, dict) else None
            # InvalidField's message starts with the field; the rejection names it (as a CSV column, say).
            message = exc.message.removeprefix(f"{field}: ") if field else exc.message
            return Outcome(record, Result.REJECTED, record.reject(field, message))
        except DEPENDENCY_DOWN as exc:
            raise ImportAborted(f"{type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # a bug or a database refusal: this record only, the others may be fine
            logger.exception("import record failed", extra={"at": record.at, "key": record.key})
            message = f"unexpected error ({type(exc).__name__}); see the log"
            return Outcome(record, Result.REJECTED, record.reject(None, message))
        return Outcome(record, result)

    async def _save(self, body: Body) -> Result:
        if isinstance(body, FamilyIn):
            family = await families.save_family(self.unit_of_work(), self.rules, STAFF, body.details())
            return Result.CREATED if family.created else Result.UPDATED
        if isinstance(body, ProviderIn):
            provider = await providers.save_provider(self.unit_of_work(), STAFF, body.details())
            return Result.CREATED if provider.created else Result.UPDATED
        linked = await providers.link_by_external_ids(
            self.unit_of_work(), self.rules, STAFF, body.provider_external_id, body.child_external_id
        )
        return Result.CREATED if linked else Result.UNCHANGED


def summary(outcomes: Sequence[Outcome], *, dry_run: bool) -> str:
    counts = Counter((o.record.kind, o.result) for o in outcomes)
    kinds = [kind for kind in Kind if any(o.record.kind is kind for o in outcomes)]
    lines = ["Dry run: every record was saved and then rolled back; nothing was kept."] if dry_run else []
    for kind in kinds:
        figures = ", ".join(f"{counts[kind, result]} {result}" for result in RESULTS_SHOWN[kind])
        lines.append(f"{kind.value}: {figures}")
    if not kinds:
        lines.append("The file holds no records.")
    rejected = [o for o in outcomes if o.result is Result.REJECTED]
    if rejected:
        lines.append("Rejected:")
        lines += [f"  {o.record.kind.value} {o.record.key}: {o.rejection}" for o in rejected]
    return "\n".join(lines)


def any_rejected(outcomes: Sequence[Outcome]) -> bool:
    return any(o.result is Result.REJECTED for o in outcomes)
