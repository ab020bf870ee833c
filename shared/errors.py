"""Errors every service maps to the same clear 4xx answer."""


class DomainError(Exception):
    """A rule of the procedure was broken; the message says which (in Chinese for the UI, code for clients)."""

    status_code = 409

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class InvalidInput(DomainError):
    status_code = 422


class ServiceUnavailable(DomainError):
    """No instance of a service answered; nothing was changed, the caller may retry."""

    status_code = 503
