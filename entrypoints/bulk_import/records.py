"""What an import file is read into: records to save, or rejections that say where and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import msgspec

from entrypoints.bulk_import.problems import problems_of
from entrypoints.http.programme.admin_schemas import FamilyIn, ProviderIn, Text


class ImportFileError(ValueError):
    """The file as a whole cannot be read (not JSON, an unknown column): nothing is imported."""


class Kind(StrEnum):
    # In the order an import saves them: links need both of the others.
    PROVIDERS = "providers"
    FAMILIES = "families"
    LINKS = "links"


class LinkIn(msgspec.Struct, forbid_unknown_fields=True):
    """The provider (by external_id) cares for the child (by external_id)."""

    provider_external_id: Annotated[Text, msgspec.Meta(min_length=1)]
    child_external_id: Annotated[Text, msgspec.Meta(min_length=1)]


Body = FamilyIn | ProviderIn | LinkIn
BODY_TYPES: dict[Kind, type[Body]] = {Kind.FAMILIES: FamilyIn, Kind.PROVIDERS: ProviderIn, Kind.LINKS: LinkIn}


@dataclass(frozen=True, slots=True)
class Rejection:
    at: str  # where in the file: "families[2]", "line 7"
    field: str | None  # the JSON path or CSV column, when one is to blame
    message: str

    def __str__(self) -> str:
        return f"{self.at}: {self.field}: {self.message}" if self.field else f"{self.at}: {self.message}"


# Turns a field named by the admin schemas or the domain ("children[1].dob", "zip_code") into the place
# in the file to point at; JSON keeps the record's position and the path, CSV finds the line and column.
Locate = Callable[[str | None], tuple[str, str | None]]


@dataclass(frozen=True, slots=True)
class ImportRecord:
    kind: Kind
    at: str
    key: str  # what the summary calls it: the external_id(s)
    body: Body | None = None
    rejection: Rejection | None = None  # refused while reading the file, before any use case ran
    locate: Locate | None = field(default=None, compare=False)

    def reject(self, field_name: str | None, message: str) -> Rejection:
        at, where = self.locate(field_name) if self.locate else (self.at, field_name)
        return Rejection(at, where, message)


def schema_rejection(kind: Kind, at: str, item: Any, locate: Locate, *, strict: bool) -> Rejection:
    """Every problem that keeps ``item`` from being a ``kind`` record, in one rejection.

    One problem: ``line 3: child_dob: must be a date YYYY-MM-DD``. Several: ``lines 2-4:`` then each
    ``[line N: ]column: problem``, separated by ``; `` (a person fixes them all in one go).
    """
    found = problems_of(BODY_TYPES[kind], item, strict=strict)
    placed = [(*locate(path), message) for path, message in found]
    if len(placed) == 1:
        where, column, message = placed[0]
        return Rejection(where, column, message)
    parts = [
        (f"{where}: " if where != at else "") + (f"{column}: " if column else "") + message
        for where, column, message in placed
    ]
    return Rejection(at, None, "; ".join(parts))


MISSING_EXTERNAL_ID = "required for import: a repeated import finds the record by it"


def missing_external_ids(body: Body) -> list[str]:
    """Import is idempotent by external_id, so every family, child and provider must carry one."""
    if isinstance(body, FamilyIn):
        missing = [] if body.external_id else ["external_id"]
        return missing + [
            f"children[{i}].external_id" for i, c in enumerate(body.children) if not c.external_id
        ]
    if isinstance(body, ProviderIn):
        return [] if body.external_id else ["external_id"]
    return []


def key_of(body: Body) -> str:
    if isinstance(body, LinkIn):
        return f"{body.provider_external_id} ↔ {body.child_external_id}"
    return body.external_id or "(no external_id)"


def guess_key(item: Any) -> str:
    """What to call an item that could not be read, in the summary."""
    if not isinstance(item, dict):
        return "?"
    if "provider_external_id" in item or "child_external_id" in item:
        return f"{item.get('provider_external_id', '?')} ↔ {item.get('child_external_id', '?')}"
    return str(item.get("external_id") or "?")


def to_record(kind: Kind, at: str, body: Body, locate: Locate | None = None) -> ImportRecord:
    record = ImportRecord(kind, at, key_of(body), body=body, locate=locate)
    missing = missing_external_ids(body)
    if missing:
        return ImportRecord(kind, at, record.key, rejection=record.reject(missing[0], MISSING_EXTERNAL_ID))
    return record


def duplicates_rejected(records: list[ImportRecord]) -> list[ImportRecord]:
    """A record repeated in one file is almost always a mistake: the later one is refused, not merged."""
    first_at: dict[tuple[Kind, str], str] = {}
    kept = []
    for record in records:
        if record.body is not None and not isinstance(record.body, LinkIn):
            seen = first_at.setdefault((record.kind, record.key), record.at)
            if seen != record.at:
                message = f"external_id {record.key!r} appears earlier in the file ({seen})"
                record = ImportRecord(
                    record.kind, record.at, record.key, rejection=record.reject("external_id", message)
                )
        kept.append(record)
    return kept
