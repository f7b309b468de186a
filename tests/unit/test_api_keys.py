from __future__ import annotations

from entrypoints.http.api_keys import ApiKeyRing

FIRST = "first-key-0123456789"
SECOND = "second-key-0123456789"


def test_each_configured_key_is_accepted() -> None:
    ring = ApiKeyRing([FIRST, SECOND])
    assert ring.accepts(FIRST)
    assert ring.accepts(SECOND)


def test_wrong_empty_and_missing_keys_are_refused() -> None:
    ring = ApiKeyRing([FIRST])
    assert not ring.accepts(FIRST[:-1])
    assert not ring.accepts(FIRST + "x")
    assert not ring.accepts("")
    assert not ring.accepts(None)


def test_no_configured_keys_refuses_everything() -> None:
    assert not ApiKeyRing([]).accepts(FIRST)
    assert not ApiKeyRing([""]).accepts("")
