"""No secret from a real report reaches any output, the terminal, or the posted comment.

The corpus holds reports with unredacted secrets (gitleaks Secret/Match/offender, SARIF
snippets, semgrep metavariables, trivy context lines).  Everything they hold that looks like
a credential is collected from the raw files, then looked for in everything hardening writes.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from publish_fakes import FakeGitLab, merge_request_env

from hardening.cli import cli

SECRET_FILES = [
    "gitleaks/dd-v7-many.json",
    "gitleaks/dd-v7-redacted.json",
    "gitleaks/pygoat-v8-git-mode.json",
    "gitleaks/gl-golden-simple.json",
    "gitleaks/gl-golden-simple.sarif",
    "gitleaks/gl-golden-simple.csv",
    "gitleaks/dd-v7.4.0.sarif",
    "semgrep/local-1.185.0-project.sarif",
    "semgrep/local-1.185.0-project.token.json",
    "trivy/trivy-golden-secrets.json",
    "trivy/dd-misconfig-and-secrets.json",
]
TOKEN_SHAPES = re.compile(
    r"gh[pousr]_[A-Za-z0-9]{20,}|github_pat_\w{20,}|glpat-[\w-]{20,}|AKIA[A-Z0-9]{16}"
    r"|xox[abpors]-[\w-]{10,}|eyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]+|AIza[\w-]{35}"
    r"|-----BEGIN[A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=]{16,}"
)


def planted_secrets(corpus: Path) -> set[str]:
    secrets: set[str] = set()
    for name in SECRET_FILES:
        text = (corpus / name).read_text(encoding="utf-8")
        secrets.update(m.group(0) for m in TOKEN_SHAPES.finditer(text))
        if name.endswith(".json") and name.startswith("gitleaks/"):
            for item in json.loads(text) or []:
                for key in ("Secret", "offender"):
                    value = item.get(key)
                    if isinstance(value, str) and len(value) >= 8 and "REDACTED" not in value:
                        secrets.add(value)
    # The key body of a PEM block is what must not leak, not its header line.
    return {s.split("-----")[-1].strip() or s for s in secrets}


def test_no_corpus_secret_reaches_any_output_or_comment(corpus: Path, tmp_path: Path) -> None:
    secrets = planted_secrets(corpus)
    assert len(secrets) >= 10
    runner = CliRunner()
    args = ["aggregate", "--out", str(tmp_path / "out"), "--baseline", str(tmp_path / "b.json")]
    args += [str(corpus / name) for name in SECRET_FILES]
    result = runner.invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0
    update = runner.invoke(
        cli,
        ["baseline", "update", "--baseline", str(tmp_path / "b.json"), *args[5:]],
        catch_exceptions=False,
    )
    assert update.exit_code == 0

    fake = FakeGitLab()
    with fake.running():
        env = merge_request_env(fake)
        posted = runner.invoke(
            cli, ["comment", str(tmp_path / "out")], env=env, catch_exceptions=False
        )
    assert posted.exit_code == 0, posted.output
    bodies = [note["body"] for note in fake.notes.values()]
    assert bodies, "the summary was posted"

    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()}
    written["baseline.json"] = (tmp_path / "b.json").read_text(encoding="utf-8")
    written["terminal"] = result.output + update.output + posted.output
    for index, body in enumerate(bodies):
        written[f"comment-{index}"] = body
    leaks = [
        (where, secret)
        for where, content in written.items()
        for secret in secrets
        if secret in content
    ]
    assert leaks == [], f"secrets leaked: {[(w, s[:6] + '…') for w, s in leaks]}"


@pytest.mark.parametrize("name", SECRET_FILES)
def test_each_secret_file_is_read(corpus: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(corpus / name)], catch_exceptions=False)
    assert result.exit_code == 0
    assert "failed" not in result.output.splitlines()[0]
