"""Domain errors. Services raise these; the API maps them to one JSON error body."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule said no. `code` is stable for API clients; the message is for people."""

    code = "domain_error"
    http_status = 400

    def __init__(self, message: str, *, detail: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail or {}


class InvalidTransition(DomainError):
    code = "invalid_transition"
    http_status = 409

    def __init__(self, *, entity: str, current: str, target: str, message: str | None = None) -> None:
        super().__init__(
            message or f"{entity} cannot go from {current!r} to {target!r}.",
            detail={"current": current, "target": target},
        )


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class NotFound(DomainError):
    code = "not_found"
    http_status = 404
