"""Rendering messages with Jinja2: one template pair (HTML and plain text) per kind and language.

``templates/<kind>/<language>.txt`` holds the subject (its ``subject`` block) and the text body;
``<language>.html`` the HTML body; both extend the shared layout. HTML is autoescaped, text is not. A
language without its own template falls back to English (``missing_translations`` lists what is missing,
and a test prints it). Links are built with ``link(path)`` on FRONTEND_URL, so none is hard-coded.
A template that cannot render (missing data, say) is a permanent failure of that message: retrying
cannot fix it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2

from domain.notifications.errors import DeliveryFailed
from domain.notifications.model import STAFF_KINDS, Channel, MessageKind
from domain.notifications.ports import Rendered
from domain.programme.statuses import Language

TEMPLATES = Path(__file__).parent / "templates"
FALLBACK = Language.ENGLISH

# What staff messages show, in order: (label, data key). Keys ending in _cents are shown in dollars.
STAFF_FIELDS: dict[MessageKind, list[tuple[str, str]]] = {
    MessageKind.STAFF_ONBOARDED: [
        ("Role", "role"),
        ("Name", "name"),
        ("Email", "email"),
        ("Record id", "record_id"),
        ("Clerk user id", "clerk_user_id"),
        ("Language", "language"),
        ("Allocations created", "allocations_created"),
    ],
    MessageKind.STAFF_PAYMENT_RATE_SET: [
        ("Provider", "provider_name"),
        ("Provider id", "provider_id"),
        ("Child", "child_name"),
        ("Child id", "child_id"),
        ("Half-day rate", "half_day_rate_cents"),
        ("Full-day rate", "full_day_rate_cents"),
    ],
    MessageKind.STAFF_PAYMENT_PROCESSED: [
        ("Payment", "what"),
        ("Amount", "amount_cents"),
        ("Family", "family_name"),
        ("Family id", "family_id"),
        ("Child", "child_name"),
        ("Child id", "child_id"),
        ("Provider", "provider_name"),
        ("Provider id", "provider_id"),
        ("Month", "month"),
        ("Care days", "care_days"),
        ("Paid out by", "method"),
        ("Payment intent", "intent_id"),
    ],
    MessageKind.STAFF_INVITATION_MADE: [
        ("Direction", "direction"),
        ("Inviter", "inviter_name"),
        ("Invited email", "invited_email"),
        ("Family id", "family_id"),
        ("Provider id", "provider_id"),
        ("Children", "children"),
    ],
    MessageKind.STAFF_INVITATION_ACCEPTED: [
        ("Direction", "direction"),
        ("Family id", "family_id"),
        ("Provider id", "provider_id"),
        ("Children linked", "linked_children"),
        ("Children not linked (no place left)", "not_linked_children"),
    ],
    MessageKind.STAFF_ATTENDANCE_ENTERED: [
        ("Entered by", "entered_by"),
        ("Side", "side"),
        ("Weeks entered", "record_count"),
        ("Weeks and days", "weeks"),
    ],
}


def dollars(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}${whole:,}.{part:02d}"


def _environment(frontend_url: str) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    base = frontend_url.rstrip("/")
    link: Callable[[str], str] = lambda path: base + (path if path.startswith("/") else "/" + path)  # noqa: E731
    environment.globals["link"] = link
    environment.filters["dollars"] = dollars
    return environment


def template_language(kind: MessageKind, language: Language, extension: str) -> Language:
    """The language whose template is used: the asked one when it exists, English otherwise."""
    if (TEMPLATES / kind.value / f"{language.value}.{extension}").exists():
        return language
    return FALLBACK


def missing_translations() -> list[str]:
    """Each person-facing template that falls back to English (staff read English by design)."""
    missing = []
    for kind in MessageKind:
        if kind in STAFF_KINDS:
            continue
        for language in Language:
            for extension in ("txt", "html"):
                if template_language(kind, language, extension) is not language:
                    missing.append(f"{kind.value}/{language.value}.{extension}")
    return missing


class TemplateRenderer:
    """Satisfies ``domain.notifications.ports.MessageRenderer``."""

    def __init__(self, frontend_url: str) -> None:
        self._environment = _environment(frontend_url)

    def render(
        self, kind: MessageKind, language: Language, data: dict[str, Any], channel: Channel
    ) -> Rendered:
        try:
            return self._render(kind, language, data, channel)
        except jinja2.TemplateError as error:
            raise DeliveryFailed(
                f"the {kind.value} template could not be rendered: {error}",
                permanent=True,
                provider="templates",
            ) from None

    def _render(
        self, kind: MessageKind, language: Language, data: dict[str, Any], channel: Channel
    ) -> Rendered:
        text_language = template_language(kind, language, "txt")
        context: dict[str, Any] = {"recipient": data.get("recipient", ""), **data}
        context["language"] = text_language.value
        if kind in STAFF_FIELDS:
            context["rows"] = [
                (label, dollars(data[key]) if key.endswith("_cents") else data.get(key))
                for label, key in STAFF_FIELDS[kind]
            ]
        text_template = self._environment.get_template(f"{kind.value}/{text_language.value}.txt")
        subject = "".join(text_template.blocks["subject"](text_template.new_context(context))).strip()
        context["subject"] = subject
        text = text_template.render(context).strip() + "\n"
        if channel is Channel.SMS:
            return Rendered(subject, text, None)
        html_language = template_language(kind, language, "html")
        html_template = self._environment.get_template(f"{kind.value}/{html_language.value}.html")
        html = html_template.render({**context, "language": html_language.value})
        return Rendered(subject, text, html)
