"""Domain errors: what went wrong in the programme's words, with no knowledge of HTTP.

Each error carries a stable machine ``code`` so that clients can tell refusals apart; the
edge (entrypoints/http/errors.py) decides which status each family of errors gets.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every expected, rule-based failure."""

    code = "domain_error"
    # Errors that always say the same thing (the frontend compares some texts exactly) set this.
    default_message = "The request could not be completed"

    def __init__(self, message: str | None = None, *, details: Any = None, code: str | None = None) -> None:
        message = self.default_message if message is None else message
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class NotFound(DomainError):
    """The thing asked for does not exist, or the caller may not know that it exists."""

    code = "not_found"


class RuleRefused(DomainError):
    """A business rule refuses the request (malformed for the programme, not for JSON)."""

    code = "rule_refused"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    code = "forbidden"


class Conflict(DomainError):
    """The request clashes with the current state (operator and job APIs)."""

    code = "conflict"


class DependencyUnavailable(DomainError):
    """A service we depend on (database, Redis, an identity provider) cannot be reached."""

    code = "dependency_unavailable"


class Unauthenticated(DomainError):
    """No valid sign-in or API key accompanies the request."""

    code = "unauthenticated"
