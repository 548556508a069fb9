"""What ``hardening snapshot`` prints: what it kept and what it dropped, by reason."""

from __future__ import annotations

from hardening.render import text
from hardening.snapshot import Plan, Tally, Written


def render(plan: Plan, written: Written | None, out: str | None) -> str:
    source = "tracked files" if plan.tracked else "files (folder walk)"
    lines = [f"note: {text.terminal(note, 300)}" for note in plan.notes]
    where = f" into {text.terminal(out, 200)}" if out else ""
    lines.append(
        f"Snapshot of {text.terminal(str(plan.root), 200)}{where}: kept {_size(plan.kept_count)}"
        f" {source} ({_bytes(plan.kept_bytes)})"
    )
    if written is not None:
        how = [f"{written.linked:,} hard-linked", f"{written.copied:,} copied"]
        if written.links:
            how.append(f"{written.links:,} symbolic link(s) inside the root")
        lines.append("  " + ", ".join(how))
    if plan.build_inputs:
        lines.append(
            "  of which Go build inputs kept for gosec (their findings are still filtered; "
            "--drop-build-inputs leaves them out):"
        )
        lines.extend(_rows(plan.build_inputs, "    "))
    dropped = sum(t.files for t in plan.dropped.values())
    dropped_bytes = sum(t.bytes for t in plan.dropped.values())
    files = "file" if dropped == 1 else "files"
    lines.append(f"Dropped {_size(dropped)} {files} ({_bytes(dropped_bytes)}):")
    lines.extend(_rows(plan.dropped, "  "))
    return "\n".join(lines) + "\n"


def _rows(by_reason: dict[str, Tally], indent: str) -> list[str]:
    ordered = sorted(by_reason.items(), key=lambda item: (-item[1].files, item[0]))
    return [
        f"{indent}{text.terminal(reason, 160)}: {_size(t.files)} ({_bytes(t.bytes)})"
        for reason, t in ordered
    ]


def _size(count: int) -> str:
    return f"{count:,}"


def _bytes(count: int) -> str:
    size = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{count:,} bytes"
