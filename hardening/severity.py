"""Normalized severity: the lookup every parser maps its tool's own words through, the
levels SARIF writes, and CVSS scores.

Each tool's own table lives with its parser (``Parser.severities``, e.g. ``parsers/gosec.py``;
the README repeats them), so a new tool brings its table in its own module; ``.hardening.toml``
overrides are applied later by the pipeline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from hardening.model import Severity

C, H, M, L, I = (Severity.critical, Severity.high, Severity.medium, Severity.low, Severity.info)

#: SARIF result level, and the severity words some tools put in security-severity.
SARIF_LEVELS: Mapping[str, Severity] = {
    "ERROR": H,
    "WARNING": M,
    "NOTE": L,
    "NONE": I,
    "CRITICAL": C,
    "HIGH": H,
    "MEDIUM": M,
    "MODERATE": M,
    "LOW": L,
    "INFO": I,
    "INFORMATIONAL": I,
}


def lookup(table: Mapping[str, Severity], value: str | None, default: Severity = M) -> Severity:
    """Normalized severity of a tool's own ``value`` (case-insensitive) in its ``table`` (the
    tool's word, upper-cased -> normalized severity), else ``default``."""
    if value is None:
        return default
    return table.get(str(value).strip().upper(), default)


def from_cvss(score: float | str | None) -> Severity | None:
    """CVSS v3 qualitative rating of a base score (also SARIF ``security-severity``)."""
    if score is None or score == "":
        return None
    try:
        value = float(score)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or value < 0:
        return None  # NaN, infinite or negative: no score at all, not "info"
    if value >= 9.0:
        return C
    if value >= 7.0:
        return H
    if value >= 4.0:
        return M
    if value > 0.0:
        return L
    return I
