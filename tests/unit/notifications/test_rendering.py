"""Every template renders in every language with representative data: golden text for English, the others
present and different from English; links carry FRONTEND_URL; HTML is escaped; what falls back to English
is listed."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.notifications.rendering import TemplateRenderer, dollars, missing_translations
from domain.notifications.errors import DeliveryFailed
from domain.notifications.model import STAFF_KINDS, Channel, MessageKind
from domain.programme.statuses import Language

FRONTEND = "https://portal.example.org/"
SAMPLES: dict[MessageKind, dict[str, Any]] = {
    MessageKind.PORTAL_INVITATION: {
        "recipient": "ana@example.org",
        "role": "family",
        "first_name": "Ana",
        "sign_in_path": "/auth/sign-in",
    },
    MessageKind.STAFF_ONBOARDED: {
        "role": "family",
        "record_id": "fam-1",
        "name": "Ana Diaz",
        "email": "ana@example.org",
        "clerk_user_id": "user_1",
        "language": "es",
        "allocations_created": 2,
    },
    MessageKind.STAFF_PAYMENT_RATE_SET: {
        "provider_id": "prov-1",
        "provider_name": "Sunny Days",
        "child_id": "kid-1",
        "child_name": "Sam Diaz",
        "half_day_rate_cents": 2_500,
        "full_day_rate_cents": 123_456,
    },
    MessageKind.PAYMENT_REMINDER: {
        "first_name": "Ana",
        "children": ["Sam"],
        "providers": ["Little Stars", "Sunny Days"],
        "week_start": "2025-01-06",
        "week_end": "2025-01-12",
        "deadline": "2025-01-06",
        "path": "/family",
    },
    MessageKind.PAYMENT_RECEIVED: {
        "first_name": "Pat",
        "family_name": "Ana Diaz",
        "child_name": "Sam",
        "amount_cents": 12_000,
        "month": "2025-01",
        "kind": "care_days",
        "days": 3,
        "method": "card",
        "path": "/provider/payments",
    },
    MessageKind.CLERK_INVITATION: {
        "recipient": "ana@example.org",
        "role": "family",
        "first_name": "Ana",
        "action_url": "https://accounts.example.org/sign-up?__clerk_ticket=t&x=<1>",
    },
    MessageKind.PROVIDER_INVITED: {
        "inviter_name": "Ana Diaz",
        "children": ["Sam Diaz", "Lu Diaz"],
        "path": "/invite/provider/0b3c",
    },
    MessageKind.FAMILY_INVITED: {"inviter_name": "Pat Lee", "children": [], "path": "/invite/family/9d1e"},
    MessageKind.STAFF_INVITATION_MADE: {
        "direction": "family_invites_provider",
        "inviter_name": "Ana Diaz",
        "invited_email": "pat@example.org",
        "family_id": "fam-1",
        "provider_id": None,
        "children": "Sam Diaz, Lu Diaz",
    },
    MessageKind.INVITE_REMINDER: {"first_name": "Ana", "path": "/family/kid-1/providers/invite"},
    MessageKind.STAFF_PAYMENT_PROCESSED: {
        "kind": "care_days",
        "what": "Care days",
        "amount_cents": 12_000,
        "family_name": "Ana Diaz",
        "family_id": "fam-1",
        "child_name": "Sam Diaz",
        "child_id": "kid-1",
        "provider_name": "Sunny Days",
        "provider_id": "prov-1",
        "month": "2025-01",
        "care_days": 3,
        "method": "card",
        "intent_id": "int-1",
    },
    MessageKind.STAFF_INVITATION_ACCEPTED: {
        "direction": "family_invites_provider",
        "family_id": "fam-1",
        "provider_id": "prov-1",
        "linked_children": "kid-1",
        "not_linked_children": "kid-2",
    },
    MessageKind.ATTENDANCE_REMINDER: {
        "first_name": "Ana",
        "children": ["Sam"],
        "weeks": ["2025-01-06"],
        "path": "/family",
    },
    MessageKind.STAFF_ATTENDANCE_ENTERED: {
        "side": "family",
        "entered_by": "Ana Diaz",
        "record_count": 1,
        "weeks": "week of 2025-01-06: Sam Diaz with Sunny Days: 3 full, 1 half",
    },
}
GOLDEN_TEXT = {
    MessageKind.PORTAL_INVITATION: (
        "Your CAP Colorado portal is ready",
        "Hello Ana,\n\n"
        "Your CAP Colorado portal account is ready. Sign in to see your childcare budget and schedule care "
        "with your provider.\n\n"
        "Sign in: https://portal.example.org/auth/sign-in\n\n"
        "Use this email address (ana@example.org) to sign in.\n\n"
        "--\nCAP Colorado\nhttps://portal.example.org/\n",
    ),
    MessageKind.STAFF_ONBOARDED: (
        "Family onboarded: Ana Diaz",
        "Family onboarded: Ana Diaz\n\n"
        "Role: family\nName: Ana Diaz\nEmail: ana@example.org\nRecord id: fam-1\nClerk user id: user_1\n"
        "Language: es\nAllocations created: 2\n",
    ),
    MessageKind.STAFF_PAYMENT_RATE_SET: (
        "Payment rates set: Sunny Days for Sam Diaz",
        "Payment rates set: Sunny Days for Sam Diaz\n\n"
        "Provider: Sunny Days\nProvider id: prov-1\nChild: Sam Diaz\nChild id: kid-1\n"
        "Half-day rate: $25.00\nFull-day rate: $1,234.56\n",
    ),
    MessageKind.PAYMENT_REMINDER: (
        "Pay your provider by Monday",
        "Hello Ana,\n\n"
        "You have not paid for any care in the week of 2025-01-06 to 2025-01-12 yet. Schedule and pay "
        "Little Stars, Sunny Days for Sam by Monday 2025-01-06: that night the week's care days lock.\n\n"
        "Pay your provider: https://portal.example.org/family\n\n"
        "--\nCAP Colorado\nhttps://portal.example.org/\n",
    ),
    MessageKind.PROVIDER_INVITED: (
        "Ana Diaz invites you to CAP Colorado",
        "Ana Diaz would like you to care for Sam Diaz, Lu Diaz through CAP Colorado, the childcare programme "
        "that pays providers for the care families schedule with them.\n\n"
        "See the invitation: https://portal.example.org/invite/provider/0b3c\n\n"
        "--\nCAP Colorado\nhttps://portal.example.org/\n",
    ),
    MessageKind.FAMILY_INVITED: (
        "Pat Lee invites your family to CAP Colorado",
        "Pat Lee cares for children through CAP Colorado and invites your family to join: the programme "
        "gives each child a monthly childcare budget and pays your provider for the care you schedule.\n\n"
        "See the invitation: https://portal.example.org/invite/family/9d1e\n\n"
        "--\nCAP Colorado\nhttps://portal.example.org/\n",
    ),
    MessageKind.INVITE_REMINDER: (
        "Invite your childcare provider to CAP Colorado",
        "Hello Ana,\n\n"
        "Your childcare budget is ready, but no provider has joined the programme with you yet. Invite the "
        "person or center who cares for your child: once they join, you can schedule care and the programme "
        "pays them.\n\n"
        "Invite your provider: https://portal.example.org/family/kid-1/providers/invite\n\n"
        "--\nCAP Colorado\nhttps://portal.example.org/\n",
    ),
    MessageKind.STAFF_PAYMENT_PROCESSED: (
        "Care days payment processed: Sunny Days for Sam Diaz",
        "Care days payment processed: Sunny Days for Sam Diaz\n\n"
        "Payment: Care days\nAmount: $120.00\nFamily: Ana Diaz\nFamily id: fam-1\nChild: Sam Diaz\n"
        "Child id: kid-1\nProvider: Sunny Days\nProvider id: prov-1\nMonth: 2025-01\nCare days: 3\n"
        "Paid out by: card\nPayment intent: int-1\n",
    ),
    MessageKind.STAFF_INVITATION_MADE: (
        "Invitation made: Ana Diaz invited pat@example.org",
        "Invitation made: Ana Diaz invited pat@example.org\n\n"
        "Direction: family_invites_provider\nInviter: Ana Diaz\nInvited email: pat@example.org\n"
        "Family id: fam-1\nProvider id: None\nChildren: Sam Diaz, Lu Diaz\n",
    ),
    MessageKind.STAFF_INVITATION_ACCEPTED: (
        "Invitation accepted: provider prov-1 linked to kid-1",
        "Invitation accepted: provider prov-1 linked to kid-1\n\n"
        "Direction: family_invites_provider\nFamily id: fam-1\nProvider id: prov-1\nChildren linked: kid-1\n"
        "Children not linked (no place left): kid-2\n",
    ),
}
GOLDEN_TEXT[MessageKind.ATTENDANCE_REMINDER] = (
    "Confirm attendance for last week",
    "Hello Ana,\n\n"
    "Please confirm how many full and half days Sam spent in care in the week of 2025-01-06. Payments wait "
    "until attendance is confirmed.\n\n"
    "Confirm attendance: https://portal.example.org/family\n\n"
    "--\nCAP Colorado\nhttps://portal.example.org/\n",
)
GOLDEN_TEXT[MessageKind.STAFF_ATTENDANCE_ENTERED] = (
    "Attendance entered by Ana Diaz (family): 1 week(s)",
    "Attendance entered by Ana Diaz (family): 1 week(s)\n\n"
    "Entered by: Ana Diaz\nSide: family\nWeeks entered: 1\n"
    "Weeks and days: week of 2025-01-06: Sam Diaz with Sunny Days: 3 full, 1 half\n",
)
GOLDEN_TEXT[MessageKind.PAYMENT_RECEIVED] = (
    "You have been paid $120.00",
    "Hello Pat,\n\n"
    "Ana Diaz paid you $120.00 for Sam's care in 2025-01 (3 care days).\n"
    "The money is on your CAP card now.\n\n"
    "See your payments: https://portal.example.org/provider/payments\n\n"
    "--\nCAP Colorado\nhttps://portal.example.org/\n",
)
GOLDEN_TEXT[MessageKind.CLERK_INVITATION] = (
    "You are invited to the CAP Colorado portal",
    "Hello Ana,\n\n"
    "You have been invited to the CAP Colorado portal. With it you can see your childcare budget and "
    "schedule and pay for care with your provider.\n\n"
    "Accept the invitation and create your account: "
    "https://accounts.example.org/sign-up?__clerk_ticket=t&x=<1>\n\n"
    "The invitation is for this email address (ana@example.org). If you were not expecting it, you can "
    "ignore this email.\n\n"
    "--\nCAP Colorado\nhttps://portal.example.org/\n",
)
renderer = TemplateRenderer(FRONTEND)


def test_every_kind_has_sample_data_and_golden_english() -> None:
    assert set(SAMPLES) == set(MessageKind) == set(GOLDEN_TEXT)


@pytest.mark.parametrize("kind", list(MessageKind))
def test_english_renders_to_its_golden_text(kind: MessageKind) -> None:
    rendered = renderer.render(kind, Language.ENGLISH, SAMPLES[kind], Channel.EMAIL)
    assert (rendered.subject, rendered.text) == GOLDEN_TEXT[kind]
    assert rendered.html is not None
    assert rendered.html.startswith("<!DOCTYPE html>")
    assert f"<title>{rendered.subject}</title>" in rendered.html


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", sorted(set(MessageKind) - STAFF_KINDS))
def test_every_language_renders_its_own_text_with_links_on_the_frontend(
    kind: MessageKind, language: Language
) -> None:
    rendered = renderer.render(kind, language, SAMPLES[kind], Channel.EMAIL)
    english = renderer.render(kind, Language.ENGLISH, SAMPLES[kind], Channel.EMAIL)
    assert rendered.subject
    assert rendered.text.strip()
    assert rendered.html
    if language is not Language.ENGLISH:
        assert (rendered.subject, rendered.text) != (english.subject, english.text)
    link = "https://portal.example.org" + SAMPLES[kind].get("sign_in_path", SAMPLES[kind].get("path", ""))
    if kind is MessageKind.CLERK_INVITATION:  # Clerk's own link (with its ticket), escaped in HTML
        link = SAMPLES[kind]["action_url"]
        assert 'href="https://accounts.example.org/sign-up?__clerk_ticket=t&amp;x=&lt;1&gt;"' in rendered.html
    assert link in rendered.text
    if kind is not MessageKind.CLERK_INVITATION:
        assert f'href="{link}"' in rendered.html
    assert f'lang="{language.value}"' in rendered.html
    assert ('dir="rtl"' in rendered.html) is (language is Language.ARABIC)


def test_nothing_person_facing_falls_back_to_english() -> None:
    missing = missing_translations()
    print("missing translations (English is sent instead):", missing or "none")
    assert missing == []


def test_a_staff_message_falls_back_to_english_in_any_language() -> None:
    kind = MessageKind.STAFF_ONBOARDED
    rendered = renderer.render(kind, Language.RUSSIAN, SAMPLES[kind], Channel.EMAIL)
    assert rendered.subject == GOLDEN_TEXT[kind][0]


def test_html_escapes_the_data_and_text_does_not() -> None:
    data = {**SAMPLES[MessageKind.PORTAL_INVITATION], "first_name": "<script>alert('x')</script> & Co"}
    rendered = renderer.render(MessageKind.PORTAL_INVITATION, Language.ENGLISH, data, Channel.EMAIL)
    assert rendered.html is not None
    assert "<script>" not in rendered.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co" in rendered.html
    assert "Hello <script>alert('x')</script> & Co," in rendered.text


def test_missing_data_is_a_permanent_failure_naming_the_template() -> None:
    with pytest.raises(DeliveryFailed) as failed:
        renderer.render(MessageKind.PORTAL_INVITATION, Language.ENGLISH, {"role": "family"}, Channel.EMAIL)
    assert failed.value.permanent
    assert "portal_invitation" in failed.value.message


def test_dollars() -> None:
    assert [dollars(c) for c in (0, 5, 2_500, 123_456, -150)] == [
        "$0.00",
        "$0.05",
        "$25.00",
        "$1,234.56",
        "-$1.50",
    ]
