"""Reading import files: JSON (the admin API's bodies) and CSV (one kind per file), with every bad record
rejected on its own, naming where (position or line) and what (field or column)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from entrypoints.bulk_import.csv_file import read_csv
from entrypoints.bulk_import.json_file import read_json
from entrypoints.bulk_import.records import ImportFileError, ImportRecord, Kind, LinkIn, Rejection
from entrypoints.http.programme.admin_schemas import FamilyIn, ProviderIn

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "programme.json"


def family(tag: str, **extra: Any) -> dict[str, Any]:
    return {
        "external_id": f"fam-{tag}",
        "guardians": [{"first_name": "Ana", "last_name": "Diaz", "email": f"ana.{tag}@example.org"}],
        "children": [{"external_id": f"kid-{tag}", "first_name": "Sam", "last_name": "Diaz"}],
        **extra,
    }


def provider(tag: str, **extra: Any) -> dict[str, Any]:
    return {"external_id": f"prov-{tag}", "name": f"Care {tag}", "type": "ffn", **extra}


def rejections(records: list[ImportRecord]) -> list[Rejection]:
    return [r.rejection for r in records if r.rejection is not None]


# --- JSON ---------------------------------------------------------------------------------------------


def test_the_sample_file_reads_without_rejections_in_saving_order() -> None:
    records = read_json(SAMPLE.read_text())
    assert rejections(records) == []
    kinds = [r.kind for r in records]
    assert kinds == sorted(kinds, key=list(Kind).index)  # providers, then families, then links
    assert {type(r.body) for r in records} == {ProviderIn, FamilyIn, LinkIn}


def test_a_bad_json_item_is_rejected_alone_with_its_position_and_field() -> None:
    bad_dob = family("b")
    bad_dob["children"][0]["dob"] = "04/05/2021"
    document = {
        "families": [family("a"), bad_dob, family("c", shoe_size=9)],
        "providers": [provider("a", type="nanny"), "not an object"],
        "links": [{"provider_external_id": "prov-a"}],
    }

    records = read_json(json.dumps(document))

    assert [r.at for r in records if r.body is not None] == ["families[0]"]
    assert rejections(records) == [
        Rejection("providers[0]", "type", "must be one of ffn, lhb, center"),
        Rejection("providers[1]", None, "must be an object"),
        Rejection("families[1]", "children[0].dob", "must be a date YYYY-MM-DD"),
        Rejection("families[2]", "shoe_size", "not a known field"),
        Rejection("links[0]", "child_external_id", "required"),
    ]
    assert [r.key for r in records if r.rejection] == ["prov-a", "?", "fam-b", "fam-c", "prov-a ↔ ?"]


def test_import_needs_external_ids_on_families_children_and_providers() -> None:
    no_child_id = family("b")
    del no_child_id["children"][0]["external_id"]
    document = {
        "families": [family("a", external_id=None), no_child_id],
        "providers": [provider("a", external_id="")],
    }

    refused = rejections(read_json(json.dumps(document)))

    assert [(r.at, r.field) for r in refused] == [
        ("providers[0]", "external_id"),
        ("families[0]", "external_id"),
        ("families[1]", "children[0].external_id"),
    ]
    assert all("required for import" in r.message for r in refused)


def test_a_record_repeated_in_the_file_is_refused_the_second_time() -> None:
    records = read_json(json.dumps({"providers": [provider("a"), provider("a", name="Other")]}))
    assert rejections(records) == [
        Rejection(
            "providers[1]", "external_id", "external_id 'prov-a' appears earlier in the file (providers[0])"
        )
    ]


def test_kind_keeps_only_that_list() -> None:
    document = {"families": [family("a")], "providers": [provider("a")]}
    assert [r.kind for r in read_json(json.dumps(document), (Kind.PROVIDERS,))] == [Kind.PROVIDERS]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{not json", "not valid JSON"),
        ("[]", "expected a JSON object"),
        ('{"families": [], "childs": []}', "unknown top-level key(s) childs"),
        ('{"families": {}}', '"families" must be a list'),
    ],
)
def test_an_unreadable_json_file_is_refused_whole(text: str, says: str) -> None:
    with pytest.raises(ImportFileError, match=says.replace("(", r"\(").replace(")", r"\)")):
        read_json(text)


# --- CSV ----------------------------------------------------------------------------------------------

FAMILY_HEADER = (
    "family_external_id,family_language,guardian_first_name,guardian_last_name,guardian_email,"
    "child_external_id,child_first_name,child_last_name,child_dob,child_payment_enabled,"
    "child_monthly_allocation_cents\n"
)


def test_family_lines_with_one_external_id_make_one_family_with_its_children() -> None:
    text = FAMILY_HEADER + (
        "fam-1,es,Maria,Lopez,maria@example.org,kid-1,Lucia,Lopez,2020-09-12,true,100000\n"
        "fam-2,en,Ana,Diaz,,kid-3,Sam,Diaz,,0,\n"
        "fam-1,,,,,kid-2,Mateo,Lopez,2022-02-20,false,\n"
        "fam-3,en,Irina,Petrova,,,,,,,\n"
    )

    records = read_csv(text, Kind.FAMILIES)

    assert rejections(records) == []
    assert [(r.at, r.key) for r in records] == [
        ("lines 2, 4", "fam-1"),
        ("line 3", "fam-2"),
        ("line 5", "fam-3"),
    ]
    lopez = records[0].body
    assert isinstance(lopez, FamilyIn)
    assert (lopez.language, lopez.guardians[0].email) == ("es", "maria@example.org")
    assert [(c.external_id, c.payment_enabled, c.monthly_allocation_cents) for c in lopez.children] == [
        ("kid-1", True, 100_000),
        ("kid-2", False, None),
    ]
    childless = records[2].body
    assert isinstance(childless, FamilyIn)
    assert childless.children == []


def test_a_bad_family_line_names_its_line_and_column() -> None:
    text = FAMILY_HEADER + (
        "fam-1,en,Ana,Diaz,,kid-1,Sam,Diaz,2021-05-04,true,\n"
        "fam-1,en,Ana,Diaz,,kid-2,Max,Diaz,May 4th,true,\n"  # the second child's date
        "fam-2,en,Maria,Lopez,,kid-3,Lucia,Lopez,,yes,\n"  # not a boolean
        "fam-4,en,Irina,Petrova,,kid-4,Nika,Petrova,,,\n"
        "fam-4,en,Irene,Petrova,,kid-5,Ivan,Petrova,,,\n"  # the guardian differs within one family
        ",en,Ann,Lee,,kid-6,Joe,Lee,,,\n"  # no family_external_id
        "fam-5,en,Ann,Lee,,,Joe,Lee,,,\n"  # a child without its external_id
    )

    refused = rejections(read_csv(text, Kind.FAMILIES))

    assert refused == [
        Rejection("line 3", "child_dob", "must be a date YYYY-MM-DD"),
        Rejection("line 4", "child_payment_enabled", "must be true or false"),
        Rejection(
            "line 6",
            "guardian_first_name",
            "differs from line 5 of the same family ('Irina' there, 'Irene' here)",
        ),
        Rejection(
            "line 7", "family_external_id", "required for import: a repeated import finds the record by it"
        ),
        Rejection(
            "line 8", "child_external_id", "required for import: a repeated import finds the record by it"
        ),
    ]


def test_domain_field_names_point_at_the_csv_line_and_column() -> None:
    text = FAMILY_HEADER + "fam-1,en,Ana,Diaz,,kid-1,Sam,Diaz,,,\nfam-1,,,,,kid-2,Max,Diaz,,,\n"
    (record,) = read_csv(text, Kind.FAMILIES)
    assert record.reject("children[1].monthly_allocation_cents", "too much") == Rejection(
        "line 3", "child_monthly_allocation_cents", "too much"
    )
    assert record.reject("guardians[0].phone_number", "not E.164") == Rejection(
        "lines 2-3", "guardian_phone_number", "not E.164"
    )
    assert record.reject("zip_code", "too long") == Rejection("lines 2-3", "family_zip", "too long")


def test_provider_and_link_lines() -> None:
    providers = read_csv(
        "external_id,name,type,payment_enabled,status\n"
        "prov-1,Little Stars,ffn,true,Approved\n"
        "prov-2,Big Stars,nanny,,\n"
        "prov-3,,center,,,extra\n",
        Kind.PROVIDERS,
    )
    assert [r.body.payment_enabled for r in providers if isinstance(r.body, ProviderIn)] == [True]
    assert rejections(providers) == [
        Rejection("line 3", "type", "must be one of ffn, lhb, center"),
        Rejection("line 4", None, "more cells than columns (6 cells, 5 columns)"),
    ]
    links = read_csv("provider_external_id,child_external_id\nprov-1,kid-1\nprov-1,\n", Kind.LINKS)
    assert [r.body for r in links if r.body] == [LinkIn("prov-1", "kid-1")]
    assert rejections(links) == [Rejection("line 3", "child_external_id", "required")]


@pytest.mark.parametrize(
    ("text", "kind", "says"),
    [
        ("", Kind.PROVIDERS, "empty"),
        ("external_id,name,type,colour\n", Kind.PROVIDERS, "unknown column(s) for providers: colour"),
        ("external_id,name\n", Kind.PROVIDERS, "missing column(s) for providers: type"),
        (
            "family_external_id,guardian_first_name,guardian_last_name,child_shoe\n",
            Kind.FAMILIES,
            "child_shoe",
        ),
        ("provider_external_id\n", Kind.LINKS, "missing column(s) for links: child_external_id"),
    ],
)
def test_an_unknown_or_missing_column_refuses_the_whole_file(text: str, kind: Kind, says: str) -> None:
    with pytest.raises(ImportFileError) as refused:
        read_csv(text, kind)
    assert says in str(refused.value)


def test_a_line_with_too_few_cells_is_refused_not_shifted() -> None:
    # The line: one cell short, so every later value would land in the wrong column.
    text = FAMILY_HEADER + "h-7,en,Bob,Smith,h-c7,Tim,Smith,2021-01-01,true,100000\n"

    (record,) = read_csv(text, Kind.FAMILIES)

    assert record.body is None
    assert record.key == "h-7"
    assert record.rejection == Rejection(
        "line 2", None, "fewer cells than columns (10 cells, 11 columns): write empty cells as ,,"
    )


def test_every_problem_of_a_record_is_said_at_once_in_the_programmes_words() -> None:
    text = FAMILY_HEADER + (
        "fam-1,xx,Ana,Diaz,,kid-1,Sam,Diaz,2021-05-40,true,\nfam-1,xx,Ana,Diaz,,kid-2,Max,Diaz,,maybe,lots\n"
    )

    (record,) = read_csv(text, Kind.FAMILIES)

    assert record.key == "fam-1"
    assert str(record.rejection) == (
        "lines 2-3: line 2: child_dob: must be a date YYYY-MM-DD; "
        "line 3: child_payment_enabled: must be true or false; "
        "line 3: child_monthly_allocation_cents: must be a whole number; "
        "family_language: must be one of en, es, ru, ar"
    )


def test_json_records_get_every_problem_too() -> None:
    provider = {"external_id": "p-1", "name": "n" * 201, "type": "nanny", "colour": "red"}
    text = json.dumps({"providers": [provider]})

    (record,) = read_json(text)

    assert str(record.rejection) == (
        "providers[0]: colour: not a known field; name: must be at most 200 characters;"
        " type: must be one of ffn, lhb, center"
    )
