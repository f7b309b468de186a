"""`cap-portal mail list` / `cap-portal mail show ID`: the development mailbox ($CAP_DATA_DIR/mail).

`cap-portal dev` keeps every message its local SMTP sink takes there; these read the files directly,
so they work whether or not `dev` is running.
"""

from __future__ import annotations

import json
import sys

import click

from adapters.embedded.mailbox import MESSAGE_KEY_HEADER, MailNotFound, StoredMail, mailbox_in
from entrypoints.settings import load_settings

SHOWN_HEADERS = ("From", "To", "Reply-To", "Subject", "Date", MESSAGE_KEY_HEADER)


@click.group()
def mail() -> None:
    """The development mailbox: what `cap-portal dev` sent."""


@mail.command("list")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="The newest N.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table.")
def list_mail(limit: int, as_json: bool) -> None:
    """The messages in the mailbox, newest last."""
    mailbox = mailbox_in(load_settings().cap_data_dir)
    found = mailbox.all()[-limit:]
    if as_json:
        click.echo(json.dumps([_summary(stored) for stored in found], indent=2))
        return
    if not found:
        click.echo(f"no messages in {mailbox.directory}")
        return
    for stored in found:
        click.echo(f"{stored.id}  {stored.header('To')[:40]:<40}  {stored.header('Subject')}")


@mail.command("show")
@click.argument("mail_id")
@click.option("--html", "part", flag_value="html", help="The HTML body instead of the text.")
@click.option("--raw", "part", flag_value="raw", help="The whole file as it arrived.")
def show_mail(mail_id: str, part: str | None) -> None:
    """One message (its id from `mail list`, or the start of it): headers and text body."""
    try:
        stored = mailbox_in(load_settings().cap_data_dir).get(mail_id)
    except MailNotFound as missing:
        click.echo(f"cap-portal mail: {missing}", err=True)
        sys.exit(1)
    if part == "raw":
        click.echo(stored.path.read_bytes().decode(errors="replace"), nl=False)
        return
    for name in SHOWN_HEADERS:
        if stored.header(name):
            click.echo(f"{name}: {stored.header(name)}")
    click.echo("")
    body = stored.body("html" if part == "html" else "plain")
    click.echo(body if body is not None else f"(no {part or 'text'} part)")


def _summary(stored: StoredMail) -> dict[str, str]:
    return {
        "id": stored.id,
        "received_at": stored.received_at.isoformat().replace("+00:00", "Z"),
        "from": stored.header("From"),
        "to": stored.header("To"),
        "subject": stored.header("Subject"),
        "message_key": stored.header(MESSAGE_KEY_HEADER),
        "path": str(stored.path),
    }


COMMANDS = [mail]
