"""Fingerprints v1: what identity holds and what it never holds."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from hardening import fingerprint
from hardening.model import CodeLocation, Finding, Kind, Severity, Suppression


def code(path: str, line: int, text: str, *, col: int = 1, suppressed: bool = False) -> Finding:
    return Finding(
        tool="semgrep",
        kind=Kind.code,
        rule_id="go.weak-hash",
        title="Weak hash",
        severity=Severity.medium,
        location=CodeLocation(path=path, start_line=line, start_column=col),
        identity=[fingerprint.text_digest(text)],
        suppression=Suppression(kind="inSource") if suppressed else None,
    )


def test_line_numbers_do_not_change_identity() -> None:
    before, after = [code("a.go", 10, "md5.New()")], [code("a.go", 15, "md5.New()")]
    fingerprint.assign(before)
    fingerprint.assign(after)
    assert before[0].fingerprint == after[0].fingerprint


def test_whitespace_does_not_change_identity() -> None:
    assert fingerprint.text_digest("h := md5.New()") == fingerprint.text_digest("  h :=\tmd5.New()")


def test_identical_keys_in_one_file_get_occurrence_indexes_in_line_order() -> None:
    first = [code("a.go", 10, "md5.New()"), code("a.go", 20, "md5.New()")]
    shifted = [code("a.go", 25, "md5.New()"), code("a.go", 13, "md5.New()")]
    fingerprint.assign(first)
    fingerprint.assign(shifted)
    assert first[0].fingerprint != first[1].fingerprint
    assert [f.fingerprint for f in first] == [shifted[1].fingerprint, shifted[0].fingerprint]


def test_suppressed_findings_are_counted_separately() -> None:
    # A report that omits the suppressed one (semgrep JSON) and one that keeps it (SARIF)
    # agree on the unsuppressed finding.
    without = [code("a.go", 20, "md5.New()")]
    with_suppressed = [
        code("a.go", 10, "md5.New()", suppressed=True),
        code("a.go", 20, "md5.New()"),
    ]
    fingerprint.assign(without)
    fingerprint.assign(with_suppressed)
    assert without[0].fingerprint == with_suppressed[1].fingerprint
    assert with_suppressed[0].fingerprint != with_suppressed[1].fingerprint


def test_other_path_other_identity() -> None:
    a, b = [code("a.go", 1, "x")], [code("b.go", 1, "x")]
    fingerprint.assign(a)
    fingerprint.assign(b)
    assert a[0].fingerprint != b[0].fingerprint


def secret(commit: str, identity: list[str], line: int = 3) -> Finding:
    return Finding(
        tool="gitleaks",
        kind=Kind.secret,
        rule_id="github-pat",
        title="GitHub token",
        severity=Severity.high,
        location=CodeLocation(path="deploy.sh", start_line=line),
        commits=[commit],
        identity=identity,
    )


def test_one_leak_in_several_commits_keeps_one_identity() -> None:
    digest = fingerprint.secret_digest("github-pat", "ghp_canary")
    findings = [secret("aaa", ["hash", digest], 3), secret("bbb", ["hash", digest], 9)]
    fingerprint.assign(findings)
    assert findings[0].fingerprint == findings[1].fingerprint


def test_redacted_secrets_are_told_apart_per_commit_by_occurrence() -> None:
    masked = fingerprint.text_digest("token=REDACTED")
    findings = [
        secret("aaa", ["redacted", masked], 3),
        secret("aaa", ["redacted", masked], 7),
        secret("bbb", ["redacted", masked], 3),
    ]
    fingerprint.assign(findings)
    assert findings[0].fingerprint != findings[1].fingerprint
    assert findings[0].fingerprint == findings[2].fingerprint


def test_secret_hash_is_slow_and_salted_per_rule() -> None:
    fingerprint._secret_digest.cache_clear()
    start = time.perf_counter()
    digest = fingerprint.secret_digest("rule-a", "hunter2")
    elapsed = time.perf_counter() - start
    assert elapsed > 0.002
    assert digest != fingerprint.secret_digest("rule-b", "hunter2")
    assert "hunter2" not in digest


def test_version_numbers_are_stripped_from_prose() -> None:
    assert fingerprint.strip_versions("upgrade lodash 4.17.15 to 4.17.21") == (
        fingerprint.strip_versions("upgrade lodash 4.17.19 to 4.17.23")
    )


def test_dast_identity_collapses_ids_and_drops_query() -> None:
    def identity(method: str, url: str) -> list[str]:
        endpoint = fingerprint.endpoint_parts(urlsplit(url))
        return fingerprint.endpoint_identity("10020", method, endpoint, None)

    one = identity("get", "https://api.test/items/1?token=a")
    two = identity("GET", "https://API.test:443/items/2?x=b")
    assert one == two
    assert one[5] == "/items/{id}"


def test_path_template_collapses_uuid_and_hex_ids() -> None:
    assert (
        fingerprint.path_template("/u/0b9e3c1a-3f1e-4c55-9a9e-2c8f7a1d9e11/k/5f2b9c8d7e6a")
        == "/u/{id}/k/{id}"
    )


def dependency(version: str) -> Finding:
    return Finding(
        tool="trivy",
        kind=Kind.dependency,
        rule_id="CVE-2024-1",
        title="t",
        severity=Severity.high,
        identity=["CVE-2024-1", "openssl", "registry.test/acme/api"],
        properties={"installed": version},
    )


def test_dependency_identity_ignores_installed_version() -> None:
    a, b = [dependency("1.0")], [dependency("1.1")]
    fingerprint.assign(a)
    fingerprint.assign(b)
    assert a[0].fingerprint == b[0].fingerprint
