"""Typed domain errors: each carries a message a nurse or an office user can act on."""


class ChairsideError(Exception):
    """Base of every error the user can cause or must be told about."""


class InvalidInput(ChairsideError):
    """A value was refused; `field` names it and the message says what is accepted."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class NeedsConfirmation(InvalidInput):
    """A plausible but unusual value: accepted only when the person enters it again."""


class NotFound(ChairsideError):
    """The record asked for does not exist."""


class Conflict(ChairsideError):
    """Another workstation changed the record since it was read: reload, nothing was saved."""


class NotAllowed(ChairsideError):
    """The acting user's role or the record's state does not permit this action."""


class AuthenticationFailed(ChairsideError):
    """Wrong username or password, or the account is locked or inactive."""


class StorageError(ChairsideError):
    """The database or disk failed; what was confirmed before is kept."""


class ConfigurationError(ChairsideError):
    """A setting or a command-line value is unusable."""


class Stopped(ChairsideError):
    """The console stopped after an unexpected error; its traceback is in the log."""


class SchemaTooNew(StorageError):
    """The database was upgraded by a newer Chairside than this one."""
