"""Why a message was not sent, and the operators' refusals."""

from __future__ import annotations

from domain.errors import Conflict, NotFound


class DeliveryFailed(Exception):
    """The provider did not take the message. ``permanent``: trying again cannot help (a refused
    address, a rejected request, a bad credential); otherwise it is an outage and the job retries."""

    def __init__(self, message: str, *, permanent: bool, provider: str) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.provider = provider


class MessageNotFound(NotFound):
    code = "message_not_found"
    default_message = "Message not found"


class MessageNotFailed(Conflict):
    code = "message_not_failed"
