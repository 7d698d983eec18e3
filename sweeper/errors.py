"""Errors a user can act on: each message says what went wrong and how to fix it."""


def terminal_safe(text) -> str:
    """``text`` with control characters (a newline or escape sequence from a file name, a
    YAML key or a file's header) shown as codes, so a message stays one line that cannot
    drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


class SweeperError(Exception):
    """Base class: the CLI prints the message on one line and exits non-zero."""

    exit_code = 1


class ConfigError(SweeperError):
    """A configuration file is unreadable or invalid (names file, line and key)."""

    exit_code = 2


class InputError(SweeperError):
    """A recording or scene file is unreadable or inconsistent."""

    exit_code = 2


class HardwareError(SweeperError):
    """A radio is missing, busy, or cannot do what was asked (says which and how to fix)."""

    exit_code = 3
