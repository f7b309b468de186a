"""`cap-portal dev-token`: print a session token signed with the local development key."""

from __future__ import annotations

import click

from adapters.clerk.dev_directory import record_email
from adapters.clerk.dev_keys import DEV_ISSUER, dev_signing_key, mint_dev_token, public_pem
from entrypoints.settings import Settings, SettingsError, load_settings


@click.command("dev-token")
@click.option("--user-id", required=True, help="The Clerk-style user id to sign in as (user_…).")
@click.option(
    "--email",
    default=None,
    help="The user's email: in the token, and in the development directory (the account gets it).",
)
@click.option("--minutes", default=60, show_default=True, type=click.IntRange(1, 24 * 60))
def dev_token(user_id: str, email: str | None, minutes: int) -> None:
    """Print a development session token for `Authorization: Bearer …`.

    It is accepted only by a server that trusts the development key, as `cap-portal dev` does.
    Roles come from the accounts table: create the account with POST /admin/accounts first.
    """
    settings = load_settings()
    _check_usable(settings, user_id)
    key = dev_signing_key(settings.cap_data_dir)
    if settings.clerk_jwt_key and settings.clerk_jwt_key.strip() != public_pem(key):
        raise SettingsError(
            "CLERK_JWT_KEY: set to another key, so a development token would be refused; unset it to use"
            f" the development key in {settings.cap_data_dir}"
        )
    party = (
        settings.clerk_authorized_parties[0] if settings.clerk_authorized_parties else settings.frontend_url
    )
    token = mint_dev_token(
        key,
        user_id=user_id,
        issuer=settings.clerk_issuer or DEV_ISSUER,
        authorized_party=party.rstrip("/"),
        email=email,
        minutes=minutes,
    )
    if email:  # the development directory: POST /admin/accounts then finds the account's email
        record_email(settings.cap_data_dir, user_id, email)
    click.echo(token)


def _check_usable(settings: Settings, user_id: str) -> None:
    if settings.app_env not in ("development", "testing"):
        raise SettingsError(f"APP_ENV: dev-token is for development, not {settings.app_env}")
    if settings.clerk_jwks_url:
        raise SettingsError(
            "CLERK_JWKS_URL: set, so keys come from Clerk and a development token would be refused"
        )
    if not user_id.startswith("user_"):
        raise click.BadParameter("must start with user_ (like a Clerk user id)", param_hint="--user-id")


COMMANDS = [dev_token]
