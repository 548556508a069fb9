"""The view ``hardening inspect`` prints: one artifact's runs and findings, as read."""

from __future__ import annotations

from typing import Any

from hardening.model import ArtifactOutcome
from hardening.render.text import terminal


def as_dict(outcome: ArtifactOutcome) -> dict[str, Any]:
    if outcome.skipped is not None:
        return {
            "artifact": outcome.name,
            "status": "skipped",
            "reason": outcome.skipped.reason,
            "findings": [],
        }
    status = "failed" if outcome.failed else "parsed"
    return {
        "artifact": outcome.name,
        "status": status,
        "parser": outcome.parser.name if outcome.parser else None,
        "runs": [run.model_dump(mode="json") for run in outcome.runs],
        "findings": [
            f.model_dump(mode="json", exclude={"identity", "previous_identity"})
            for f in outcome.findings
        ],
    }


def as_text(outcome: ArtifactOutcome) -> str:
    if outcome.skipped is not None:
        return f"{terminal(outcome.name)}: skipped: {terminal(outcome.skipped.reason)}"
    lines = []
    for run in outcome.runs:
        version = f" {terminal(run.version)}" if run.version else ""
        db = f", database {terminal(run.database_date)}" if run.database_date else ""
        head = (
            f"{terminal(outcome.name)}: {terminal(run.tool)}{version} ({run.format}{db}): "
            f"{run.status.value}"
        )
        if run.error:
            head += f": {terminal(run.error)}"
        lines.append(head)
        lines.extend(f"  warning: {terminal(w)}" for w in run.warnings)
        lines.extend(f"  run error: {terminal(e)}" for e in run.run_errors)
    lines.append(f"{len(outcome.findings)} finding(s)")
    for f in outcome.findings:
        where = ""
        if f.location:
            where = f.location.path
            if f.location.start_line:
                where += f":{f.location.start_line}"
        elif f.component:
            where = f"{f.component.name} {f.component.installed_version or ''}".strip()
            if f.component.target:
                where += f" in {f.component.target}"
        elif f.endpoint:
            where = f"{f.endpoint.method or ''} {f.endpoint.url}".strip()
        flag = " [suppressed]" if f.suppressed else ""
        lines.append(
            f"  {f.severity.value:8} {terminal(f.tool)} {terminal(f.rule_id)} {terminal(where)}"
            f"{flag}  {f.fingerprint[:12]}"
        )
        if f.title and f.title != f.rule_id:
            lines.append(f"           {terminal(f.title)}")
    return "\n".join(lines)
