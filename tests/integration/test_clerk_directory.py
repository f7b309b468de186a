"""The Clerk Backend API adapter against a local fake Clerk over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.clerk.backend_api import ClerkBackendDirectory
from domain.errors import DependencyUnavailable, NotFound
from tests.fake_clerk import SECRET_KEY, FakeClerk


@pytest.fixture
async def directory(fake_clerk: FakeClerk) -> AsyncIterator[ClerkBackendDirectory]:
    adapter = ClerkBackendDirectory(fake_clerk.api_url, SECRET_KEY)
    yield adapter
    await adapter.close()


async def test_reads_a_user_with_their_primary_email(
    directory: ClerkBackendDirectory, fake_clerk: FakeClerk
) -> None:
    fake_clerk.add_user("user_alice", "alice@x.org", {"types": ["family"]})
    user = await directory.read_user("user_alice")
    assert (user.user_id, user.email, user.public_metadata) == (
        "user_alice",
        "alice@x.org",
        {"types": ["family"]},
    )
    assert fake_clerk.requests[0][:2] == ("GET", "/v1/users/user_alice")


async def test_an_unknown_user_is_not_found(directory: ClerkBackendDirectory) -> None:
    with pytest.raises(NotFound):
        await directory.read_user("user_nobody")


async def test_writes_public_metadata_and_a_none_id_removes_the_key(
    directory: ClerkBackendDirectory, fake_clerk: FakeClerk
) -> None:
    fake_clerk.add_user(
        "user_alice", "alice@x.org", {"types": ["family"], "family_id": "f1", "theme": "dark"}
    )
    await directory.write_public_metadata(
        "user_alice", {"types": ["provider"], "family_id": None, "provider_id": "p9"}
    )
    assert fake_clerk.requests[-1] == (
        "PATCH",
        "/v1/users/user_alice/metadata",
        {"public_metadata": {"types": ["provider"], "family_id": None, "provider_id": "p9"}},
    )
    assert fake_clerk.users["user_alice"]["public_metadata"] == {
        "types": ["provider"],
        "provider_id": "p9",
        "theme": "dark",
    }


async def test_clerk_down_or_refusing_our_key_is_unavailable(
    directory: ClerkBackendDirectory, fake_clerk: FakeClerk
) -> None:
    fake_clerk.add_user("user_alice", "alice@x.org")
    wrong_key = ClerkBackendDirectory(fake_clerk.api_url, "sk_test_wrong")
    with pytest.raises(DependencyUnavailable):
        await wrong_key.read_user("user_alice")
    await wrong_key.close()
    fake_clerk.down = True
    with pytest.raises(DependencyUnavailable):
        await directory.write_public_metadata("user_alice", {"types": []})


async def test_nothing_listening_is_unavailable() -> None:
    nowhere = ClerkBackendDirectory("http://127.0.0.1:9/v1", SECRET_KEY, timeout_seconds=2)
    with pytest.raises(DependencyUnavailable):
        await nowhere.read_user("user_alice")
    await nowhere.close()
