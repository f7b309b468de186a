"""A file's records, read as ``cap-portal import`` reads them: by its name's ending, a CSV with its kind."""

from __future__ import annotations

from entrypoints.bulk_import.csv_file import read_csv
from entrypoints.bulk_import.json_file import read_json
from entrypoints.bulk_import.records import ImportFileError, ImportRecord, Kind


def file_format(file_name: str) -> str:
    suffix = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if suffix not in ("json", "csv"):
        raise ImportFileError("the file name must end in .json or .csv")
    return suffix


def decode(content: bytes) -> str:
    try:
        return content.decode("utf-8-sig")  # spreadsheets often start CSV files with a BOM
    except UnicodeDecodeError:
        raise ImportFileError("not UTF-8 text") from None


def read_records(
    text: str, file_format: str, kind: Kind | None, *, how_to_say_kind: str = ""
) -> list[ImportRecord]:
    """The file's records; ``ImportFileError`` when it cannot be read at all. ``how_to_say_kind``
    ends the refusal of a CSV without its kind (the command's " with --kind")."""
    if file_format == "json":
        return read_json(text, (kind,) if kind else tuple(Kind))
    if kind is None:
        raise ImportFileError(f"a CSV file holds one kind of record: say which{how_to_say_kind}")
    return read_csv(text, kind)
