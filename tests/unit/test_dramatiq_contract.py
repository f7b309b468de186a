"""Canaries for the Dramatiq internals ``adapters/jobs/broker.py`` relies on.

``dramatiq`` is pinned, and the broker module is the one place that subclasses its private Redis
consumer and calls its private dispatcher. If an upgrade changes any of the facts below, these
tests fail with a message naming what moved, instead of the worker misbehaving quietly.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import dramatiq
from dramatiq.brokers import redis as dramatiq_redis
from dramatiq.common import dq_name, xq_name

from adapters.jobs import broker as ours

# What our calls of the dispatch script pass, in order (broker.py: ``_send_acks`` and ``_dispatch``).
DISPATCH_ARGUMENTS = [
    "command", "timestamp", "queue_name", "worker_id", "heartbeat_timeout",
    "dead_message_ttl", "do_maintenance", "max_unpack_size",
]  # fmt: skip


def test_the_dispatch_script_takes_its_arguments_in_the_order_we_pass_them() -> None:
    script = (Path(dramatiq_redis.__file__).parent / "redis" / "dispatch.lua").read_text()
    found = dict(re.findall(r"local (\w+) = ARGV\[(\d+)\]", script))
    assert {name: int(index) for name, index in found.items()} == {
        name: position for position, name in enumerate(DISPATCH_ARGUMENTS, start=1)
    }, "dispatch.lua's ARGV layout changed: fix JobBroker._dispatch and _send_acks"
    assert "namespace = KEYS[1]" in script.replace("local ", "")


def test_the_broker_still_routes_do_commands_through_dispatch() -> None:
    source = inspect.getsource(dramatiq_redis.RedisBroker.__getattr__)
    assert "self._dispatch(command)" in source, "RedisBroker.do_* no longer goes through _dispatch"
    dispatch = inspect.signature(dramatiq_redis.RedisBroker._dispatch)
    assert list(dispatch.parameters) == ["self", "command"]
    assert callable(dramatiq_redis.RedisBroker._max_unpack_size)
    assert {"ack", "nack"} == dramatiq_redis.MAINTENANCE_COMMAND_BLACKLIST
    init = inspect.getsource(dramatiq_redis.RedisBroker.__init__)
    for attribute in ("self.broker_id", "self.heartbeat_timeout", "self.dead_message_ttl", "self.scripts"):
        assert attribute in init, f"RedisBroker no longer sets {attribute}"


def test_the_private_consumer_still_has_what_the_waking_consumer_uses() -> None:
    consumer_class = dramatiq_redis._RedisConsumer
    assert issubclass(ours.WakingConsumer, consumer_class)
    consumer = consumer_class(None, "default", 4, 1000)  # type: ignore[no-untyped-call]  # Dramatiq's private class is unannotated
    for attribute in ("broker", "queue_name", "prefetch", "timeout", "message_cache", "queued_message_ids",
                      "misses"):  # fmt: skip
        assert hasattr(consumer, attribute), f"_RedisConsumer lost `{attribute}`"
    assert isinstance(inspect.getattr_static(consumer_class, "outstanding_message_count"), property)
    # The methods we replace are the consumer's own, so ours are the ones Dramatiq's worker calls.
    for method in ("ack", "__next__"):
        assert method in vars(consumer_class), f"_RedisConsumer.{method} moved"
        assert method in vars(ours.WakingConsumer)


def test_queue_key_names() -> None:
    # queue_reader.py and messages.py read Redis under these names.
    assert (dq_name("default"), xq_name("default")) == ("default.DQ", "default.XQ")


def test_the_pinned_version_is_the_one_these_facts_were_checked_against() -> None:
    # Not a fact the code relies on: a reminder to re-read broker.py's design note when upgrading.
    assert dramatiq.__version__ == "2.2.1", "Dramatiq upgraded: re-check adapters/jobs/broker.py"
