"""Configuration: ``.hardening.toml``, or ``[tool.hardening]`` in pyproject.toml.

Found from the current directory upward, or named with ``--config``.  Unknown keys and bad
values are errors that name the key.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import Field, ValidationError, field_validator

from hardening.errors import ConfigError
from hardening.model import Severity, State, _Model
from hardening.redact import error_location

_GATE = re.compile(r"^(?P<states>[a-z_]+(?:\s*,\s*[a-z_]+)*):(?P<severity>[a-z]+)$")


def parse_gate(value: str) -> tuple[frozenset[State], Severity]:
    """``new,expired:high`` -> ({new, expired}, high): findings in one of those states at or
    above that severity."""
    match = _GATE.match(value.strip().lower())
    if not match:
        raise ValueError(
            f"{value!r} is not STATE:SEVERITY (for example new:high, or new,expired:high)"
        )
    names = [name.strip() for name in match["states"].split(",")]
    try:
        states = frozenset(State(name) for name in names)
        severity = Severity(match["severity"])
    except ValueError:
        allowed = ", ".join(s.value for s in State.OPEN)
        severities = ", ".join(s.value for s in Severity)
        raise ValueError(
            f"{value!r}: state must be one of {allowed}; severity one of {severities}"
        ) from None
    refused = [name for name in names if State(name) not in State.OPEN]
    if refused:
        raise ValueError(
            f"{value!r}: a gate counts {', '.join(s.value for s in State.OPEN)}, "
            f"not {', '.join(refused)}"
        )
    return states, severity


class SeverityOverride(_Model):
    """Set the severity of findings matching all given selectors."""

    severity: Severity
    tool: str | None = None
    rule: str | None = Field(default=None, description="Rule id, glob allowed")
    path: str | None = Field(default=None, description="Path glob")


class GateConfig(_Model):
    rule: str = "new:high"
    tools: dict[str, str] = Field(default_factory=dict)

    @field_validator("rule")
    @classmethod
    def _valid_rule(cls, value: str) -> str:
        parse_gate(value)
        return value

    @field_validator("tools")
    @classmethod
    def _valid_tools(cls, value: dict[str, str]) -> dict[str, str]:
        for rule in value.values():
            parse_gate(rule)
        return value


class Config(_Model):
    profile: str | None = None
    exclude: list[str] = Field(default_factory=list)
    include: list[str] = Field(default_factory=list)
    default_excludes: bool = True
    strip_prefixes: list[str] = Field(default_factory=list)
    baseline: str | None = None
    max_chars: int | None = Field(default=None, ge=2000)
    severity: list[SeverityOverride] = Field(default_factory=list)
    gate: GateConfig = Field(default_factory=GateConfig)
    history: str | None = Field(
        default=None, description="History database URL (aggregate's trend line, history)"
    )

    @field_validator("profile")
    @classmethod
    def _valid_profile(cls, value: str | None) -> str | None:
        if value is not None and value not in ("sast", "hardening"):
            raise ValueError("profile must be sast or hardening")
        return value


def find(start: Path) -> Path | None:
    """The nearest ``.hardening.toml``, or pyproject.toml with ``[tool.hardening]``."""
    for folder in (start.resolve(), *start.resolve().parents):
        own = folder / ".hardening.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        return "hardening" in tomllib.loads(pyproject.read_text("utf-8")).get("tool", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False


def load(path: Path | None) -> Config:
    if path is None:
        return Config()
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("hardening", {})
        prefix = "tool.hardening."
    else:
        prefix = ""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = prefix + error_location(first["loc"])
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(f"{path}: {key}: {message}") from None


def discover(explicit: Path | None, cwd: Path) -> tuple[Config, Path | None]:
    path = explicit if explicit is not None else find(cwd)
    return load(path), path
