"""Identity and partial-change helpers shared by the programme's records."""

from __future__ import annotations

import enum
import uuid
from typing import TypeVar

T = TypeVar("T")

# Allocations, care days and payment rates get integer ids from the database (the frontend expects JSON
# numbers); a record built by the domain carries this until the repository has stored it.
UNSAVED_ID = 0


def new_reference_id() -> str:
    """Ids of families, guardians, children and providers: strings, as the frontend compares them."""
    return str(uuid.uuid4())


class Unset(enum.Enum):
    """Marks a field a partial update leaves alone (``None`` is a real value: "clear it")."""

    UNSET = "unset"


UNSET = Unset.UNSET


def changed(new: T | Unset, current: T) -> T:
    return current if isinstance(new, Unset) else new
