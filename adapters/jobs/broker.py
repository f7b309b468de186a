"""Dramatiq's Redis broker with four changes that the job records and the latency target need.

1. A wake-up signal. Dramatiq's Redis consumer polls and, when idle, backs off up to the worker
   timeout (1 s), so an idle worker starts a new job ~0.5 s late on average. Here every send also
   pushes a token on ``<namespace>:<queue>.wake`` and idle consumers wait in ``BLPOP`` on it: a job
   sent to an idle worker starts within a round trip, and an idle consumer still wakes every
   worker-timeout to heartbeat, ack and move delayed messages.
2. Messages sent from a job record use the job id as their Redis id, so the outbox relay can ask
   Redis whether a job's message is there (``HEXISTS``) without scanning.
3. Dead workers' messages are reclaimed on a clock (every half heartbeat timeout, from any live
   worker) rather than by Dramatiq's 0.1 % chance per call, so a job whose worker was SIGKILLed
   runs again a predictable time after its worker went silent.
4. Acknowledgements from the worker threads share one Redis round trip (``grouped_acks.py``).

This is the one module that touches Dramatiq's private parts, and they are fenced here on purpose:
it subclasses ``_RedisConsumer`` (its ``ack`` and ``__next__``, and the attributes they read),
replaces ``RedisBroker._dispatch`` (the ``do_*`` commands) and calls its ``dispatch.lua`` with the
same eight arguments in the same order, and relies on the Redis key layout (``<queue>``,
``<queue>.msgs``, ``.DQ``, ``.XQ``) that ``queue_reader.py`` and ``messages.py`` read. Dramatiq is
pinned; ``tests/unit/test_dramatiq_contract.py`` and the stock-broker canary in
``tests/integration/test_queue_reader.py`` fail, naming what moved, if an upgrade changes any of it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import redis
from dramatiq import Middleware
from dramatiq.broker import MessageProxy
from dramatiq.brokers.redis import MAINTENANCE_COMMAND_BLACKLIST, RedisBroker, _RedisConsumer
from dramatiq.common import compute_backoff, current_millis, xq_name
from dramatiq.errors import ConnectionClosed
from dramatiq.message import Message
from dramatiq.middleware import default_middleware
from redis.exceptions import NoScriptError

from adapters.jobs.grouped_acks import Ack, GroupedAcks

NAMESPACE = "dramatiq"
WAKE_TOKENS_KEPT = 16  # a few spare tokens are harmless; an unbounded list is not


class JobBroker(RedisBroker):
    def __init__(
        self,
        *,
        url: str,
        heartbeat_timeout_ms: int = 60_000,
        middleware: Sequence[Middleware] | None = None,
        socket_timeout: float = 10,
    ) -> None:
        super().__init__(  # type: ignore[no-untyped-call]
            # Timeouts: a Redis that does not answer fails a send instead of hanging the caller. A
            # worker's read timeout stays above its consumers' longest BLPOP (the worker timeout);
            # processes that only send pass a shorter one.
            connection_pool=redis.ConnectionPool.from_url(
                url, socket_connect_timeout=2, socket_timeout=socket_timeout
            ),
            namespace=NAMESPACE,
            heartbeat_timeout=heartbeat_timeout_ms,
            middleware=[m() for m in default_middleware] if middleware is None else list(middleware),
        )
        self._maintenance_every = heartbeat_timeout_ms / 2000
        self._last_maintenance: dict[str, float] = {}
        self.acks = GroupedAcks(self._send_acks)

    @property
    def consumer_class(self) -> Any:
        return WakingConsumer

    def key(self, name: str) -> str:
        return f"{self.namespace}:{name}"

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        sent = super().enqueue(message, delay=delay)
        if delay is None:
            self.wake(sent.queue_name)
        return sent

    def send_job(self, message: Message[Any]) -> None:
        """Send a job record's message with Redis id = job id (``enqueue`` would pick a random one)."""
        self.send_jobs([message])

    def send_jobs(self, messages: Sequence[Message[Any]]) -> None:
        """Send job records' messages in one round trip, all or none (MULTI/EXEC), waking the
        queues' idle consumers in the same trip. Writes what Dramatiq's ``enqueue`` command
        does (the message in ``<queue>.msgs``, its id on the queue list), without its Lua
        dispatch, whose heartbeat would also register every sender as a worker."""
        messages = [m.copy(options={"redis_message_id": m.message_id}) for m in messages]
        if not messages:
            return
        for message in messages:
            self.emit_before("enqueue", message, None)
        with self.client.pipeline(transaction=True) as pipe:
            for command, *arguments in send_commands(messages):
                getattr(pipe, command)(*arguments)
            pipe.execute()
        for message in messages:
            self.emit_after("enqueue", message, None)

    def wake(self, queue_name: str) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            _push_wake(pipe, self.key(f"{queue_name}.wake"))
            pipe.execute()

    def _send_acks(self, acks: Sequence[Ack]) -> None:
        """Dramatiq's ack command for each message, in one pipeline (point 4)."""
        dispatch = self.scripts["dispatch"]
        arguments = [
            [
                "ack", current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                self.dead_message_ttl, 0, self._max_unpack_size(), redis_id,  # type: ignore[no-untyped-call]
            ]
            for queue_name, redis_id in acks
        ]  # fmt: skip
        with self.client.pipeline(transaction=False) as pipe:
            for args in arguments:
                pipe.evalsha(dispatch.sha, 1, self.namespace, *args)
            answers = pipe.execute(raise_on_error=False)
        for args, answer in zip(arguments, answers, strict=True):
            if isinstance(answer, NoScriptError):  # Redis restarted: calling the script loads it
                dispatch(keys=[self.namespace], args=args)
            elif isinstance(answer, Exception):
                raise answer

    def _dispatch(self, command: str) -> Any:
        # Dramatiq's own dispatcher, with maintenance decided per queue by the clock (point 3).
        dispatch, keys = self.scripts["dispatch"], [self.namespace]

        def do_dispatch(queue_name: str, *args: Any) -> Any:
            arguments = [
                command, current_millis(), queue_name, self.broker_id, self.heartbeat_timeout,
                self.dead_message_ttl, self._maintenance_due(command, queue_name), self._max_unpack_size(),  # type: ignore[no-untyped-call]
                *args,
            ]  # fmt: skip
            return dispatch(args=arguments, keys=keys)

        return do_dispatch

    def _maintenance_due(self, command: str, queue_name: str) -> int:
        if command in MAINTENANCE_COMMAND_BLACKLIST:
            return 0
        now = time.monotonic()
        if now - self._last_maintenance.get(queue_name, 0.0) < self._maintenance_every:
            return 0
        self._last_maintenance[queue_name] = now
        return 1


def _push_wake(pipe: Any, wake_key: str) -> None:
    pipe.rpush(wake_key, 1)
    pipe.ltrim(wake_key, -WAKE_TOKENS_KEPT, -1)


def _key(name: str) -> str:
    return f"{NAMESPACE}:{name}"


def send_commands(messages: Sequence[Message[Any]]) -> list[tuple[Any, ...]]:
    """The Redis commands that send job messages the way ``send_jobs`` does (each message in
    ``<queue>.msgs`` under its job id, the id on the queue list, a wake-up token per queue), for a
    pipeline on any client: the web process sends them on its asyncio Redis (``async_sender.py``)."""
    commands: list[tuple[Any, ...]] = []
    for message in messages:
        message_id = message.message_id
        body = message.copy(options={**message.options, "redis_message_id": message_id}).encode()
        commands.append(("hset", _key(f"{message.queue_name}.msgs"), message_id, body))
        commands.append(("rpush", _key(message.queue_name), message_id))
    for queue_name in dict.fromkeys(message.queue_name for message in messages):
        wake_key = _key(f"{queue_name}.wake")
        commands.append(("rpush", wake_key, 1))
        commands.append(("ltrim", wake_key, -WAKE_TOKENS_KEPT, -1))
    return commands


def dead_letter_removal(queue: str, redis_message_id: str) -> list[tuple[Any, ...]]:
    """The commands that drop one message from a queue's dead letters (a retried job's old copy)."""
    return [
        ("zrem", _key(xq_name(queue)), redis_message_id),
        ("hdel", _key(f"{xq_name(queue)}.msgs"), redis_message_id),
    ]


class WakingConsumer(_RedisConsumer):
    """Dramatiq's Redis consumer, waiting on the queue's wake list instead of sleeping when idle,
    and acknowledging through the broker's grouped acks."""

    def ack(self, message: MessageProxy) -> None:
        try:
            self.broker.acks.ack(self.queue_name, message.options["redis_message_id"])
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
        finally:
            self.queued_message_ids.discard(message.message_id)

    def __next__(self) -> MessageProxy | None:
        try:
            while True:
                if self.message_cache:
                    self.misses = 0
                    message = Message.decode(self.message_cache.pop(0))
                    self.queued_message_ids.add(message.message_id)
                    return MessageProxy(message)
                if self.outstanding_message_count >= self.prefetch:
                    # Busy, not idle: a token would be wasted on us; poll as Dramatiq does.
                    self.misses, backoff_ms = compute_backoff(self.misses, max_backoff=self.timeout)
                    time.sleep(backoff_ms / 1000)
                    return None
                wanted = self.prefetch - self.outstanding_message_count
                self.message_cache = self.broker.do_fetch(self.queue_name, wanted)
                if not self.message_cache:
                    self.broker.client.blpop(
                        [self.broker.key(f"{self.queue_name}.wake")], self.timeout / 1000
                    )
                    return None
        except redis.ConnectionError as exc:
            raise ConnectionClosed(exc) from None  # type: ignore[no-untyped-call]
