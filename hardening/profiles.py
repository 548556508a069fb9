"""Profiles: which tools a CI job expects.  An expected tool with no artifact is missing.

``PROFILES`` is the registry: ``--profile`` offers its names.
"""

from __future__ import annotations

from dataclasses import dataclass

SAST_TOOLS = ("gosec", "semgrep", "gitleaks")
ALL_TOOLS = ("gosec", "semgrep", "gitleaks", "govulncheck", "trivy", "schemathesis", "zap")
#: Tools whose reports mean something only when a deployed target was really hit.
DAST_TOOLS = ("schemathesis", "zap")


@dataclass(frozen=True)
class Profile:
    name: str
    expected: tuple[str, ...]
    #: Whether SARIF of tools outside ``expected`` is read too.
    other_sarif: bool

    def accepts(self, tool: str) -> bool:
        return tool in self.expected or self.other_sarif


PROFILES = {
    "sast": Profile("sast", SAST_TOOLS, other_sarif=False),
    "hardening": Profile("hardening", ALL_TOOLS, other_sarif=True),
}
