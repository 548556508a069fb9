"""The project's exception family; the CLI turns each into a one-line message."""


class HardeningError(Exception):
    """Base of every error hardening raises on purpose."""


class ParseError(HardeningError):
    """An artifact a parser claimed could not be read; ``str()`` is the one-line reason."""


class ConfigError(HardeningError):
    """A configuration file or option is invalid."""


class BaselineError(HardeningError):
    """A baseline file cannot be read or written."""


class OutputError(HardeningError):
    """An output (``--out``) cannot be written."""


class PublishError(HardeningError):
    """The comment bot could not publish."""


def json_place(msg: str, line: int, column: int | None = None) -> str:
    """json's reason and where, as one phrase: "Expecting ',' delimiter at line 3 column 7",
    "Unterminated string starting at line 1 column 9" (that reason ends in "at" itself)."""
    where = f"line {line}" if column is None else f"line {line} column {column}"
    return f"{msg} {where}" if msg.endswith(" at") else f"{msg} at {where}"
