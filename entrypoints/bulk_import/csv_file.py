"""CSV import files: one kind of record per file (``--kind``), one record per line, except families.

- providers: the fields of POST /admin/providers as columns (``external_id,name,type,first_name,…``).
- links: ``provider_external_id,child_external_id``.
- families: one line per child, its family's and primary guardian's columns on each line (or only on
  the family's first line); lines with the same ``family_external_id`` make one family. Columns are the
  family fields prefixed ``family_``, the primary guardian's ``guardian_``, the child's ``child_``. A
  family without children is a line with empty ``child_`` cells. Other guardians: use JSON.

An empty cell leaves the field out. Booleans are true/false (or 1/0), dates YYYY-MM-DD, money in cents.
An unknown or missing required column refuses the whole file (a misspelt header would otherwise drop a
field from every record); a bad line is rejected with its line number and column.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import msgspec

from entrypoints.bulk_import.records import (
    BODY_TYPES,
    MISSING_EXTERNAL_ID,
    ImportFileError,
    ImportRecord,
    Kind,
    Rejection,
    duplicates_rejected,
    guess_key,
    schema_rejection,
    to_record,
)
from entrypoints.http.programme.admin_schemas import ChildIn, FamilyIn, GuardianIn

FAMILY_PARTS = {
    "family": [f for f in FamilyIn.__struct_fields__ if f not in ("guardians", "children")],
    "guardian": [f for f in GuardianIn.__struct_fields__ if f != "type"],  # the CSV's guardian is primary
    "child": list(ChildIn.__struct_fields__),
}
FAMILY_COLUMNS = [f"{part}_{name}" for part, names in FAMILY_PARTS.items() for name in names]
COLUMNS: dict[Kind, list[str]] = {
    Kind.FAMILIES: FAMILY_COLUMNS,
    Kind.PROVIDERS: list(BODY_TYPES[Kind.PROVIDERS].__struct_fields__),
    Kind.LINKS: list(BODY_TYPES[Kind.LINKS].__struct_fields__),
}
REQUIRED_COLUMNS: dict[Kind, list[str]] = {
    Kind.FAMILIES: ["family_external_id", "guardian_first_name", "guardian_last_name"],
    Kind.PROVIDERS: ["external_id", "name", "type"],
    Kind.LINKS: ["provider_external_id", "child_external_id"],
}
# The domain names a few family fields in its own words; the CSV column is what the user can fix.
DOMAIN_FIELD_COLUMNS = {"zip_code": "family_zip", "household_size": "family_size"}

Line = tuple[int, dict[str, str]]  # the line number and its non-empty cells


def read_csv(text: str, kind: Kind) -> list[ImportRecord]:
    reader = csv.DictReader(io.StringIO(text))
    _check_header([name.strip() for name in reader.fieldnames or []], kind)
    lines: list[Line] = []
    records: list[ImportRecord] = []
    for row in reader:
        at = f"line {reader.line_num}"
        width = len(reader.fieldnames or [])
        if None in row:  # more cells than the header has columns
            message = f"more cells than columns ({width + len(row[None])} cells, {width} columns)"
            records.append(ImportRecord(kind, at, _key_of_row(row), rejection=Rejection(at, None, message)))
            continue
        if None in row.values():  # fewer: a cell left out shifts every later one into the wrong column
            given = sum(value is not None for value in row.values())
            message = f"fewer cells than columns ({given} cells, {width} columns): write empty cells as ,,"
            records.append(ImportRecord(kind, at, _key_of_row(row), rejection=Rejection(at, None, message)))
            continue
        cells = {k.strip(): v.strip() for k, v in row.items() if v is not None and v.strip()}
        lines.append((reader.line_num, cells))
    records += _families(lines) if kind is Kind.FAMILIES else [_flat_record(kind, line) for line in lines]
    return duplicates_rejected(sorted(records, key=lambda r: _first_line(r.at)))


def _key_of_row(row: dict[Any, Any]) -> str:
    """What to call a line that could not be read: its external id, when its first cells hold one."""
    cells = {k.strip(): v.strip() for k, v in row.items() if isinstance(k, str) and isinstance(v, str)}
    if "family_external_id" in cells:
        return cells["family_external_id"] or "?"
    return guess_key(cells)


def _check_header(header: list[str], kind: Kind) -> None:
    if not header:
        raise ImportFileError("the CSV file is empty (no header line)")
    unknown = [name for name in header if name not in COLUMNS[kind]]
    if unknown:
        raise ImportFileError(
            f"unknown column(s) for {kind.value}: {', '.join(unknown)}; known: {', '.join(COLUMNS[kind])}"
        )
    missing = [name for name in REQUIRED_COLUMNS[kind] if name not in header]
    if missing:
        raise ImportFileError(f"missing column(s) for {kind.value}: {', '.join(missing)}")


def _first_line(at: str) -> int:
    return int(re.findall(r"\d+", at)[0])


def _flat_record(kind: Kind, line: Line) -> ImportRecord:
    number, cells = line
    at = f"line {number}"
    try:
        body = msgspec.convert(cells, BODY_TYPES[kind], strict=False)
    except msgspec.ValidationError:
        rejection = schema_rejection(kind, at, cells, lambda name: (at, name), strict=False)
        return ImportRecord(kind, at, guess_key(cells), rejection=rejection)
    return to_record(kind, at, body, locate=lambda name: (at, name))


@dataclass
class _FamilyLines:
    external_id: str
    numbers: list[int] = field(default_factory=list)
    values: dict[str, tuple[str, int]] = field(default_factory=dict)  # family_/guardian_ column: value, line
    children: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    conflict: Rejection | None = None

    @property
    def at(self) -> str:
        return f"line {self.numbers[0]}" if len(self.numbers) == 1 else f"lines {_ranges(self.numbers)}"

    def add(self, number: int, cells: dict[str, str]) -> None:
        self.numbers.append(number)
        for column, value in cells.items():
            if column.startswith("child_"):
                continue
            first = self.values.setdefault(column, (value, number))
            if first[0] != value and self.conflict is None:
                message = (
                    f"differs from line {first[1]} of the same family ({first[0]!r} there, {value!r} here)"
                )
                self.conflict = Rejection(f"line {number}", column, message)
        child = {
            column.removeprefix("child_"): v for column, v in cells.items() if column.startswith("child_")
        }
        if child:
            self.children.append((number, child))

    def locate(self, name: str | None) -> tuple[str, str | None]:
        """A field named by the schema or the domain, as the line and column to fix."""
        if name is None:
            return self.at, None
        child = re.fullmatch(r"children\[(\d+)\]\.?(.*)", name)
        if child and int(child[1]) < len(self.children):
            return f"line {self.children[int(child[1])][0]}", f"child_{child[2]}" if child[2] else None
        guardian = re.fullmatch(r"guardians\[\d+\]\.(.+)", name)
        if guardian:
            return self.at, f"guardian_{guardian[1]}"
        return self.at, DOMAIN_FIELD_COLUMNS.get(name, f"family_{name}")

    def body(self) -> dict[str, Any]:
        def part(prefix: str) -> dict[str, str]:
            return {c.removeprefix(prefix): v for c, (v, _) in self.values.items() if c.startswith(prefix)}

        return {
            **part("family_"),
            "guardians": [part("guardian_")],
            "children": [c for _, c in self.children],
        }


def _families(lines: Iterable[Line]) -> list[ImportRecord]:
    families: dict[str, _FamilyLines] = {}
    records = []
    for number, cells in lines:
        external_id = cells.get("family_external_id")
        if external_id is None:
            at = f"line {number}"
            records.append(
                ImportRecord(
                    Kind.FAMILIES, at, "?", rejection=Rejection(at, "family_external_id", MISSING_EXTERNAL_ID)
                )
            )
            continue
        families.setdefault(external_id, _FamilyLines(external_id)).add(number, cells)
    return records + [_family_record(family) for family in families.values()]


def _family_record(family: _FamilyLines) -> ImportRecord:
    if family.conflict is not None:
        return ImportRecord(Kind.FAMILIES, family.at, family.external_id, rejection=family.conflict)
    try:
        body = msgspec.convert(family.body(), FamilyIn, strict=False)
    except msgspec.ValidationError:
        rejection = schema_rejection(Kind.FAMILIES, family.at, family.body(), family.locate, strict=False)
        return ImportRecord(Kind.FAMILIES, family.at, family.external_id, rejection=rejection)
    return to_record(Kind.FAMILIES, family.at, body, locate=family.locate)


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] → "2-4, 7"."""
    spans: list[list[int]] = []
    for n in sorted(numbers):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)
