"""The console's front page."""

from __future__ import annotations

from litestar import get
from litestar.response import Template

from entrypoints.http.console.errors import AnyRequest


@get("/", name="console_home")
async def console_home(request: AnyRequest) -> Template:
    return Template("home.html", context={})


ROUTES = [console_home]
