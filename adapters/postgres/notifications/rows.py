"""The ``messages`` and ``message_batches`` rows. ``migrations/versions/0008_messages.py`` and
``0010_message_batches.py`` create exactly these.

``idempotency_key`` (cause + channel + recipient) is UNIQUE: the one judge of "this cause already asked
for this message", also between two concurrent transactions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from advanced_alchemy.base import DefaultBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Identity, Index, Integer, String, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from adapters.postgres.programme.rows import one_of
from domain.notifications.model import Channel, MessageStatus
from domain.programme.statuses import Language

KEY = 500


class MessageRow(DefaultBase):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(one_of("channel", Channel), name="channel"),
        CheckConstraint(one_of("status", MessageStatus), name="status"),
        CheckConstraint(one_of("language", Language), name="language"),
        CheckConstraint("attempts >= 0", name="attempts"),
        Index("ix_messages_about", "about_type", "about_id"),
        Index("ix_messages_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(64))
    recipient: Mapped[str] = mapped_column(String(320))
    recipient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    language: Mapped[str] = mapped_column(String(2))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    about_type: Mapped[str] = mapped_column(String(64))
    about_id: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str] = mapped_column(String(KEY), unique=True)
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    subject: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider: Mapped[str | None] = mapped_column(String(32), nullable=True)
    provider_message_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_to: Mapped[list[str]] = mapped_column(ARRAY(Text), server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    sent_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    batch_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("message_batches.id", ondelete="RESTRICT"), nullable=True, index=True
    )


class MessageBatchRow(DefaultBase):
    """A bulk run; its counts are its messages' (``messages.batch_id``), counted when asked."""

    __tablename__ = "message_batches"

    id: Mapped[int] = mapped_column(BigInteger, Identity(start=1, increment=1), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
