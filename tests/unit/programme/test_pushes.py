"""store_by_external_id, the one path every push of a family, child or provider takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from domain.programme.errors import ExternalIdTaken
from domain.programme.use_cases.pushes import store_by_external_id


@dataclass(frozen=True)
class Note:
    id: str
    external_id: str | None
    text: str


@dataclass
class Notes:
    """Records whose ``add_if_absent`` can lose to a push that then vanishes (``vanishing``)."""

    stored: dict[str, Note] = field(default_factory=dict)
    vanishing: bool = False

    async def get_by_external_id(self, external_id: str) -> Note | None:
        return next((n for n in self.stored.values() if n.external_id == external_id), None)

    async def add_if_absent(self, record: Note) -> bool:
        if self.vanishing:
            return False
        self.stored[record.id] = record
        return True

    async def save(self, record: Note) -> None:
        self.stored[record.id] = record


def note(text: str) -> Callable[[Note | None], Note]:
    def build(current: Note | None) -> Note:
        return Note(id="new" if current is None else current.id, external_id="n-1", text=text)

    return build


async def test_a_new_external_id_creates_a_record() -> None:
    notes = Notes()
    assert await store_by_external_id(notes, "n-1", note("first")) == (Note("new", "n-1", "first"), True)
    assert list(notes.stored) == ["new"]


async def test_a_known_external_id_updates_the_record_that_holds_it() -> None:
    notes = Notes(stored={"kept": Note("kept", "n-1", "old")})
    assert await store_by_external_id(notes, "n-1", note("again")) == (Note("kept", "n-1", "again"), False)
    assert notes.stored == {"kept": Note("kept", "n-1", "again")}


async def test_a_winner_that_vanished_again_is_refused_naming_the_field() -> None:
    notes = Notes(vanishing=True)
    with pytest.raises(ExternalIdTaken) as refused:
        await store_by_external_id(notes, "n-1", note("lost"), field="children[0].external_id")
    assert refused.value.details == {"field": "children[0].external_id"}
    assert notes.stored == {}
