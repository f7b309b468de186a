"""Reading the console's forms (url-encoded bodies) into small typed values."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from litestar.enums import RequestEncodingType
from litestar.params import Body

T = TypeVar("T")

# A handler's ``data: Form[SomeStruct]`` is the submitted form, checked against the struct.
Form = Annotated[T, Body(media_type=RequestEncodingType.URL_ENCODED)]


def safe_next(path: Any, default: str = "/console") -> str:
    """Where to go after a form: a console path only, so a link cannot send staff off-site."""
    text = str(path or "")
    if text.startswith("/console") and "//" not in text and "\\" not in text:
        return text
    return default
