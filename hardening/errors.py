"""The project's exception family; the CLI turns each into a one-line message."""


class HardeningError(Exception):
    """Base of every error hardening raises on purpose."""


class ParseError(HardeningError):
    """An artifact a parser claimed could not be read; ``str()`` is the one-line reason."""


class ConfigError(HardeningError):
    """A configuration file or option is invalid."""


class BaselineError(HardeningError):
    """A baseline file cannot be read or written."""


class PublishError(HardeningError):
    """The comment bot could not publish."""
