"""JSON import files: {"providers": [...], "families": [...], "links": [...]}.

Families and providers are exactly the bodies of POST /admin/families and POST /admin/providers; a link
is {"provider_external_id", "child_external_id"}. Each list item is read on its own, so a malformed item
is rejected with its position and field while the others are imported.
"""

from __future__ import annotations

from typing import Any

import msgspec

from entrypoints.bulk_import.records import (
    BODY_TYPES,
    ImportFileError,
    ImportRecord,
    Kind,
    duplicates_rejected,
    guess_key,
    schema_rejection,
    to_record,
)


def read_json(text: str, kinds: tuple[Kind, ...] = tuple(Kind)) -> list[ImportRecord]:
    try:
        document = msgspec.json.decode(text)
    except msgspec.DecodeError as exc:
        raise ImportFileError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise ImportFileError('expected a JSON object with "providers", "families" and/or "links" lists')
    unknown = sorted(set(document) - {k.value for k in Kind})
    if unknown:
        raise ImportFileError(
            f"unknown top-level key(s) {', '.join(unknown)}; expected providers, families, links"
        )
    records: list[ImportRecord] = []
    for kind in Kind:  # providers, families, links: the order they must be saved in
        items = document.get(kind.value, [])
        if not isinstance(items, list):
            raise ImportFileError(f'"{kind.value}" must be a list')
        if kind in kinds:
            records += [_record(kind, f"{kind.value}[{i}]", item) for i, item in enumerate(items)]
    return duplicates_rejected(records)


def _record(kind: Kind, at: str, item: Any) -> ImportRecord:
    try:
        body = msgspec.convert(item, BODY_TYPES[kind])
    except msgspec.ValidationError:
        rejection = schema_rejection(kind, at, item, lambda name: (at, name), strict=True)
        return ImportRecord(kind, at, guess_key(item), rejection=rejection)
    return to_record(kind, at, body)
