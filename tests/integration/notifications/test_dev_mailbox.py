"""The development mailbox: the sink `cap-portal dev` runs keeps what our SMTP adapter sends, one whole
file per message, and `cap-portal mail list/show` read those files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from adapters.embedded.mail_sink import MailSink
from adapters.embedded.mailbox import Mailbox, MailNotFound, mailbox_in
from adapters.notifications.smtp import SmtpEmailSender, SmtpSettings
from domain.notifications.ports import Email


def _email(to: str, subject: str) -> Email:
    return Email(
        from_address="portal@cap.localhost",
        from_name="CAP Colorado",
        to=(to,),
        subject=subject,
        text=f"Hello {to}\n",
        html=f"<p>Hello <b>{to}</b></p>",
        reply_to=None,
        idempotency_key=f"test|email:{to}",
    )


async def test_the_sink_keeps_each_message_with_its_envelope_and_parts(tmp_path: Path) -> None:
    mailbox = Mailbox(tmp_path / "mail")
    with MailSink(mailbox) as sink:
        sender = SmtpEmailSender(SmtpSettings(sink.host, sink.port, timeout_seconds=5))
        first = await sender.send_email(_email("ana@example.org", "First"))
        await sender.send_email(_email("luis@example.org", "Second"))
    stored = mailbox.all()
    assert [mail.header("Subject") for mail in stored] == ["First", "Second"]
    assert stored[0].header("X-Envelope-To") == "ana@example.org"
    assert stored[0].header("X-Envelope-From") == "portal@cap.localhost"
    assert stored[0].header("Message-ID") == first.provider_message_id
    assert stored[0].header("X-CAP-Message-Key") == "test|email:ana@example.org"
    assert stored[0].body("html") == "<p>Hello <b>ana@example.org</b></p>\n"
    # Only whole messages: no scratch file is left beside them.
    assert sorted(p.suffix for p in mailbox.directory.iterdir()) == [".eml", ".eml"]


def test_two_messages_in_one_microsecond_get_two_ids(tmp_path: Path) -> None:
    mailbox = Mailbox(tmp_path)
    now = datetime(2026, 12, 3, 12, 45, 1, 999_999, tzinfo=UTC)
    first = mailbox.deliver(b"Subject: a\r\n\r\nA\r\n", "x@y", ["a@b"], now)
    second = mailbox.deliver(b"Subject: b\r\n\r\nB\r\n", "x@y", ["a@b"], now)
    assert (first, second) == ("20261203-124501-999999", "20261203-124502-000000")
    assert [mail.header("Subject") for mail in mailbox.all()] == ["a", "b"]


def test_a_message_is_found_by_its_id_or_a_unique_start_of_it(tmp_path: Path) -> None:
    mailbox = Mailbox(tmp_path)
    for second in (1, 2, 30):
        mailbox.deliver(
            f"Subject: s{second}\r\n\r\n.\r\n".encode(), "x@y", ["a@b"], datetime(2026, 12, 3, 12, 0, second)
        )
    assert mailbox.get("20261203-120030").header("Subject") == "s30"
    assert mailbox.get("20261203-120001-000000.eml").header("Subject") == "s1"
    with pytest.raises(MailNotFound, match="2 messages have ids starting with '20261203-12000'"):
        mailbox.get("20261203-12000")
    with pytest.raises(MailNotFound, match="no message 'nope'"):
        mailbox.get("nope")
    with pytest.raises(MailNotFound):
        mailbox.get("")
    assert Mailbox(tmp_path / "never-made").all() == []


def _mail_command(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli", "mail", *args],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "CAP_DATA_DIR": str(data_dir)},
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_mail_list_and_show_read_the_mailbox(tmp_path: Path) -> None:
    assert "no messages in" in _mail_command(tmp_path, "list").stdout
    with MailSink(mailbox_in(tmp_path)) as sink:
        sender = SmtpEmailSender(SmtpSettings(sink.host, sink.port, timeout_seconds=5))
        await sender.send_email(_email("ana@example.org", "Your sign-in link"))
        await sender.send_email(_email("luis@example.org", "Another"))

    listed = _mail_command(tmp_path, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    mails = json.loads(listed.stdout)
    assert [(m["to"], m["subject"]) for m in mails] == [
        ("ana@example.org", "Your sign-in link"),
        ("luis@example.org", "Another"),
    ]
    assert mails[0]["message_key"] == "test|email:ana@example.org"
    assert mails[0]["received_at"].endswith("Z")
    assert [
        m["id"] for m in json.loads(_mail_command(tmp_path, "list", "--json", "--limit", "1").stdout)
    ] == [mails[1]["id"]]
    table = _mail_command(tmp_path, "list").stdout.splitlines()
    assert [line.split()[0] for line in table] == [mails[0]["id"], mails[1]["id"]]

    shown = _mail_command(tmp_path, "show", mails[0]["id"])
    assert shown.returncode == 0, shown.stderr
    assert "Subject: Your sign-in link" in shown.stdout
    assert "X-CAP-Message-Key: test|email:ana@example.org" in shown.stdout
    assert "Hello ana@example.org" in shown.stdout
    assert "<b>" not in shown.stdout
    assert (
        "<p>Hello <b>ana@example.org</b></p>"
        in _mail_command(tmp_path, "show", mails[0]["id"], "--html").stdout
    )
    assert _mail_command(tmp_path, "show", mails[0]["id"], "--raw").stdout.startswith("X-Envelope-From:")

    missing = _mail_command(tmp_path, "show", "19990101")
    assert missing.returncode == 1
    assert missing.stderr.startswith("cap-portal mail: no message '19990101'")
