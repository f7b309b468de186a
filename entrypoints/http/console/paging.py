"""Pagination for the console's lists: page numbers in the query, links that keep the other filters."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request
from litestar.params import QueryParameter

PAGE_SIZE = 25
PageNumber = Annotated[int, QueryParameter(ge=1, le=100_000)]


@dataclass(frozen=True)
class Pager:
    page: int
    previous_url: str | None
    next_url: str | None

    @classmethod
    def of(
        cls,
        request: Request[Any, Any, Any],
        page: int,
        *,
        has_more: bool,
        list_at: tuple[str, Mapping[str, str]] | None = None,
    ) -> Pager:
        """``list_at``: the list's path and filters, for a list shown again by a form's action (whose
        own path and query are not the list's)."""
        path, query = list_at or (request.url.path, request.query_params)
        kept = {key: value for key, value in query.items() if key != "page" and value}

        def link(number: int) -> str:
            return f"{path}?{urlencode({**kept, 'page': number})}"

        return cls(page, link(page - 1) if page > 1 else None, link(page + 1) if has_more else None)
