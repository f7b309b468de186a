"""reference/clerk.md §5.1: every kind of bad session token, through the real app, with its status.

``GET /auth/me`` needs only a valid sign-in (no account), so 200 means "the token was accepted".
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.tokens import DROP, ISSUER, TokenMinter, b64url, forge, new_key, public_pem

Client = AsyncTestClient[Litestar]
Request = dict[str, Any]  # keyword arguments for client.get


def _now() -> int:
    # Read when a case runs, not at import: the suite may reach these cases minutes after collection.
    return int(time.time())


ATTACKER = new_key()


def bearer(token: str) -> Request:
    return {"headers": {"Authorization": f"Bearer {token}"}}


def _tampered_payload(m: TokenMinter) -> str:
    header, _, signature = m.token().split(".")
    other = b64url(jwt.utils.base64url_decode(m.token("user_mallory").split(".")[1]))
    return f"{header}.{other}.{signature}"


def _tampered_signature(m: TokenMinter) -> str:
    head, body, signature = m.token().split(".")
    flipped = bytearray(jwt.utils.base64url_decode(signature))
    flipped[0] ^= 1
    return f"{head}.{body}.{b64url(bytes(flipped))}"


def _hs256_with_public_key(m: TokenMinter) -> str:
    """The algorithm-confusion attack: HMAC over the token with the (public) PEM as the secret."""
    unsigned = forge({"alg": "HS256", "typ": "JWT", "kid": m.kid}, m.claims()).rsplit(".", 1)[0]
    signature = hmac.new(public_pem(m.key).encode(), unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{b64url(signature)}"


CASES: dict[str, tuple[Callable[[TokenMinter], Request], int]] = {
    "01 valid token": (lambda m: bearer(m.token()), 200),
    "02 no Authorization header": (lambda m: {}, 401),
    "03a no scheme": (lambda m: {"headers": {"Authorization": m.token()}}, 401),
    "03b Token scheme": (lambda m: {"headers": {"Authorization": f"Token {m.token()}"}}, 401),
    "03c Basic scheme": (lambda m: {"headers": {"Authorization": "Basic dXNlcjpwYXNz"}}, 401),
    "03d lower-case bearer accepted (RFC 7235)": (
        lambda m: {"headers": {"Authorization": f"bearer {m.token()}"}},
        200,
    ),
    "03e Bearer doubled": (lambda m: {"headers": {"Authorization": f"Bearer Bearer {m.token()}"}}, 401),
    "03f two Authorization headers": (
        lambda m: {"headers": [("Authorization", f"Bearer {m.token()}"), ("Authorization", "Bearer x")]},
        401,
    ),
    "03g Bearer null (the frontend, signed out)": (lambda m: bearer("null"), 401),
    "04a Bearer with empty token": (lambda m: {"headers": {"Authorization": "Bearer "}}, 401),
    "04b Bearer with whitespace": (lambda m: {"headers": {"Authorization": "Bearer     "}}, 401),
    "05 token only in the __session cookie": (
        lambda m: {"headers": {"Cookie": f"__session={m.token()}"}},
        401,
    ),
    "05b token only in a query parameter": (
        lambda m: {"params": {"token": m.token(), "__session": m.token()}},
        401,
    ),
    "06 alg none, empty signature": (
        lambda m: bearer(forge({"alg": "none", "typ": "JWT"}, m.claims()) + "."),
        401,
    ),
    "06b alg none with a signature": (lambda m: bearer(forge({"alg": "none"}, m.claims(), b"x")), 401),
    "07 HS256 signed with the public key as HMAC secret": (lambda m: bearer(_hs256_with_public_key(m)), 401),
    "08 signed by another key, real kid": (lambda m: bearer(m.token(key=ATTACKER)), 401),
    "09a PS256 with the right key": (lambda m: bearer(m.token(algorithm="PS256")), 401),
    "09b RS512 with the right key": (lambda m: bearer(m.token(algorithm="RS512")), 401),
    "12a payload tampered (sub swapped)": (lambda m: bearer(_tampered_payload(m)), 401),
    "12b signature tampered": (lambda m: bearer(_tampered_signature(m)), 401),
    "13 expired a minute ago": (
        lambda m: bearer(m.token(exp=_now() - 60, iat=_now() - 120, nbf=_now() - 120)),
        401,
    ),
    "14 expired 3 s ago (inside the 5 s leeway)": (
        lambda m: bearer(m.token(exp=int(time.time()) - 3, iat=_now() - 60, nbf=_now() - 60)),
        200,
    ),
    "15a nbf in the future": (lambda m: bearer(m.token(nbf=_now() + 120)), 401),
    "15b iat in the future": (lambda m: bearer(m.token(iat=_now() + 120)), 401),
    "16a exp missing": (lambda m: bearer(m.token(exp=DROP)), 401),
    "16b iat missing": (lambda m: bearer(m.token(iat=DROP)), 401),
    "16c nbf missing": (lambda m: bearer(m.token(nbf=DROP)), 401),
    "16d sid missing": (lambda m: bearer(m.token(sid=DROP)), 401),
    "17 exp not a number": (lambda m: bearer(m.token(exp="tomorrow")), 401),
    "18a iss of another instance": (lambda m: bearer(m.token(iss="https://clerk.other.test")), 401),
    "18b iss with a suffix": (lambda m: bearer(m.token(iss=ISSUER + ".evil.com")), 401),
    "18c iss missing": (lambda m: bearer(m.token(iss=DROP)), 401),
    "19a azp not allowed": (lambda m: bearer(m.token(azp="https://evil.example.com")), 401),
    "19b azp missing (parties configured)": (lambda m: bearer(m.token(azp=DROP)), 401),
    "20a sub missing": (lambda m: bearer(m.token(sub=DROP)), 401),
    "20b sub a number": (lambda m: bearer(m.token(sub=123)), 401),
    "20c sub not a user": (lambda m: bearer(m.token("org_x")), 401),
    "21 session pending": (lambda m: bearer(m.token(sts="pending")), 401),
    "21b session active": (lambda m: bearer(m.token(sts="active")), 200),
    "22 aud present, none configured": (lambda m: bearer(m.token(aud="someone")), 401),
    "23 crit with an unknown extension": (lambda m: bearer(m.token(headers={"crit": ["x"], "x": 1})), 401),
    "24 Clerk production header fields (cat, oiat, typ)": (
        lambda m: bearer(m.token(headers={"cat": "cl_B7d4PD111AAA", "oiat": _now(), "typ": "JWT"})),
        200,
    ),
    "24b typ other than JWT": (lambda m: bearer(m.token(headers={"typ": "at+jwt"})), 401),
    "25 token over 8 KiB": (lambda m: bearer(m.token(padding="x" * 20_000)), 401),
    "26a not.a.jwt": (lambda m: bearer("not.a.jwt"), 401),
    "26b two segments": (lambda m: bearer(".".join(m.token().split(".")[:2])), 401),
    "26c bad base64": (lambda m: bearer("eyJ%%%.eyJ###.abc"), 401),
    "26d non-JSON header": (lambda m: bearer(f"{b64url(b'not json')}.{m.token().split('.', 1)[1]}"), 401),
    "26e non-JSON payload": (
        lambda m: bearer(f"{m.token().split('.')[0]}.{b64url(b'[1,2')}.{m.token().split('.')[2]}"),
        401,
    ),
    "26f header is a JSON list": (lambda m: bearer(f"{b64url(b'[1]')}.{m.token().split('.', 1)[1]}"), 401),
    "26g header of impossible base64 length": (lambda m: bearer(f"eyJhb.{m.token().split('.', 1)[1]}"), 401),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_session_token_case(client: Client, minter: TokenMinter, case: str) -> None:
    build, expected = CASES[case]
    response = await client.get("/auth/me", **build(minter))
    assert response.status_code == expected, (case, response.text)
    body = response.json()
    if expected == 401:
        # Generic: the body never says which check failed.
        assert body["code"] == "unauthenticated"
        assert "Bearer" in body["error"]
    else:
        assert body["user_id"] == "user_alice"


def test_there_are_at_least_25_token_cases() -> None:
    assert len(CASES) >= 25


async def test_a_token_from_the_query_string_never_signs_in_even_beside_a_valid_one(
    client: Client, minter: TokenMinter
) -> None:
    response = await client.get("/auth/status", params={"token": minter.token()})
    assert response.json() == {"authenticated": False, "user_id": None}
