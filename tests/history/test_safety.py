"""The history database holds no message text, snippet or secret: canaries planted in a real
findings.json (written by aggregate from real-format reports) are absent from the SQLite file
and from a pg_dump."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from hardening.cli import cli
from hardening.history import api
from history_support import F, Pipeline, fingerprint, write_pipeline

AWS_KEY = "AKIAZ7Q3XK5M2HW8RTPL"
GITHUB_TOKEN = "ghp_" + "Zq8Lm2Xv9Rt4Kp7Wn3Bc6Hd1Fs5Jg0Ya2Ue"
MARKER = "Xylophonequartz"
GITLEAKS = [
    {
        "Description": "AWS Access Key",
        "StartLine": 4,
        "EndLine": 4,
        "StartColumn": 9,
        "EndColumn": 28,
        "Match": f"aws_key = {AWS_KEY}",
        "Secret": AWS_KEY,
        "File": "deploy/settings.py",
        "Commit": "3f1c2a9e8b7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a",
        "Entropy": 3.9,
        "Author": "dev",
        "Email": "dev@example.com",
        "Date": "2024-03-01T10:00:00Z",
        "Message": f"add settings {MARKER}",
        "Tags": [],
        "RuleID": "aws-access-token",
        "Fingerprint": "3f1c2a9e:deploy/settings.py:aws-access-token:4",
    }
]


def canary_findings_json(tmp_path: Path) -> Path:
    """A findings.json from aggregate over a gitleaks report with a secret, plus findings whose
    message and snippet carry canaries (as a findings.json of any origin may)."""
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "gitleaks.json").write_text(json.dumps(GITLEAKS))
    result = CliRunner().invoke(
        cli,
        ["aggregate", str(reports), "--out", str(tmp_path / "out"), "-q"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "out" / "findings.json").read_text())
    extra = json.loads(
        (
            write_pipeline(
                tmp_path / "extra",
                Pipeline(
                    [
                        F(
                            fingerprint(9),
                            message=f"token {GITHUB_TOKEN} {MARKER}",
                            snippet=f"password = '{GITHUB_TOKEN}' # {MARKER}",
                        ),
                    ]
                ),
            )
        ).read_text()
    )
    written["findings"].extend(extra["findings"])
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(written))
    # The canaries are in what is recorded, so their absence below means something.
    assert MARKER in path.read_text() and GITHUB_TOKEN in path.read_text()
    return path


def record(db: str, path: Path) -> None:
    request = api.RecordRequest(source=path, db=db, project="g/app", ref="main", pipeline="1")
    api.record(request, {})


def assert_clean(content: bytes) -> None:
    for canary in (AWS_KEY, GITHUB_TOKEN, MARKER):
        assert canary.encode() not in content, canary
    assert b"aws-access-token" in content  # the rule is kept: the file was really read


def test_the_sqlite_file_holds_no_secret_message_or_snippet(tmp_path: Path):
    path = canary_findings_json(tmp_path)
    db_file = tmp_path / "history.db"
    record(f"sqlite:///{db_file}", path)
    content = db_file.read_bytes()
    assert_clean(content)
    assert not list(tmp_path.glob("history.db-*"))  # no journal left beside it


def test_a_pg_dump_holds_no_secret_message_or_snippet(tmp_path: Path, postgres):
    path = canary_findings_json(tmp_path)
    url = postgres.create_database()
    record(url, path)
    assert_clean(postgres.dump(url).encode())
