"""Numeric ranges of ids and paging, in one place, for every route's path and query parameters.

Ids and offsets reach Postgres as ``bigint``: a bound here turns a number too large into a 400
naming the parameter (and the OpenAPI document says so) instead of a database error. The app's
``before_request`` hook (entrypoints/http/request_checks.py) refuses integers beyond 64 bits on
any route as a backstop, so a route that forgets these still does not reach Postgres with one.
"""

from __future__ import annotations

from typing import Annotated

from litestar.params import PathParameter, QueryParameter

INT64_MAX = 2**63 - 1

# schema_extra: Litestar writes bounds as floats, and 2^63-1 as a float is 2^63, one too many.
_EXACT = {"maximum": INT64_MAX}

RecordId = Annotated[int, PathParameter(ge=1, le=INT64_MAX, schema_extra=_EXACT)]
"""A numeric record id in the path (care days, allocations, rates)."""

Offset = Annotated[int, QueryParameter(ge=0, le=INT64_MAX, schema_extra=_EXACT)]
"""How many items of a listing to skip."""
