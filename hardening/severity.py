"""Default severity mapping, one documented table per tool (the README repeats it).

Every parser normalizes its tool's own severity through this module so the tables live in one
place; ``.hardening.toml`` overrides are applied later by the pipeline.
"""

from __future__ import annotations

import math

from hardening.model import Severity

C, H, M, L, I = (Severity.critical, Severity.high, Severity.medium, Severity.low, Severity.info)

#: tool -> the tool's own severity word (upper-cased) -> normalized severity
TABLES: dict[str, dict[str, Severity]] = {
    "gosec": {"HIGH": H, "MEDIUM": M, "LOW": L},
    # Semgrep's legacy vocabulary (ERROR/WARNING/INFO) and its newer one; semgrep itself
    # equates INFO with LOW, and EXPERIMENTAL/INVENTORY rules are informational.
    "semgrep": {
        "CRITICAL": C,
        "HIGH": H,
        "ERROR": H,
        "MEDIUM": M,
        "MODERATE": M,  # Supply Chain advisories' sca-severity
        "WARNING": M,
        "LOW": L,
        "INFO": L,
        "EXPERIMENT": I,
        "EXPERIMENTAL": I,
        "INVENTORY": I,
    },
    "trivy": {"CRITICAL": C, "HIGH": H, "MEDIUM": M, "LOW": L, "UNKNOWN": I},
    # ZAP riskcode: 3 high, 2 medium, 1 low, 0 informational.
    "zap": {"3": H, "2": M, "1": L, "0": I, "HIGH": H, "MEDIUM": M, "LOW": L, "INFORMATIONAL": I},
    # SARIF result level.
    # SARIF result level, and the severity words some tools put in security-severity.
    "sarif": {
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
    },
}

#: gitleaks has no severity: every leaked credential is high.
SECRET_DEFAULT = H

#: Schemathesis check (canonical id) -> severity, the same whichever format named the check.
SCHEMATHESIS_CHECKS: dict[str, Severity] = {
    "not_a_server_error": H,
    "ignored_auth": H,
    "object_level_authorization": H,
    "use_after_free": H,
    "response_schema_conformance": M,
    "negative_data_rejection": M,
    "positive_data_acceptance": M,
    "ensure_resource_availability": M,
    "missing_required_header": M,
    "status_code_conformance": L,
    "content_type_conformance": L,
    "response_headers_conformance": L,
    "unsupported_method": L,
    "allow_header_conformance": L,
    "max_response_time": L,
}
SCHEMATHESIS_DEFAULT = M


#: govulncheck's reachability levels and ``-scan`` levels, least precise first.
GOVULNCHECK_LEVELS = ("module", "package", "symbol")


def govulncheck(level: str, scan_level: str | None, advisory: Severity | None = None) -> Severity:
    """Severity of a govulncheck finding at reachability ``level`` in a ``-scan scan_level``
    run (symbol when the report does not say, govulncheck's default).

    A finding at the most precise level the run can reach is affecting: the advisory's own
    severity, else high (Go advisories rarely carry one; govulncheck's SARIF says ``error``).
    One level less precise (imported but not called in a symbol scan): low; two (only
    required): info.
    """
    levels = GOVULNCHECK_LEVELS
    reached = levels.index(scan_level) if scan_level in levels else len(levels) - 1
    found = levels.index(level) if level in levels else 0
    gap = reached - found
    if gap <= 0:
        return advisory or H
    return L if gap == 1 else I


def lookup(tool: str, value: str | None, default: Severity = M) -> Severity:
    """Normalized severity of ``tool``'s own ``value`` (case-insensitive), else ``default``."""
    if value is None:
        return default
    return TABLES[tool].get(str(value).strip().upper(), default)


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
