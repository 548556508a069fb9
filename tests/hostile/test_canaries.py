"""No planted credential reaches any output, baseline, terminal line, error message or posted
comment, whichever field of whichever report carries it.

Every place a report can carry a credential gets its own canaries, one of each shape (GitHub,
GitLab, AWS, Slack tokens, a PEM private key, a JWT, a password assignment), so a leak names
the place it came from.  The reports then go through ``aggregate`` (every output),
``baseline update``, ``inspect`` (text and JSON) and ``comment`` to a fake GitLab; the text of
everything written, printed or posted is searched for each canary and for its distinctive
middle part (a canary masked only in part still leaks).
"""

from __future__ import annotations

import base64
import copy
import csv
import hashlib
import io
import json
import random
import string
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from hostile_support import load_json, run_cli
from publish_fakes import FakeGitLab, merge_request_env

from support import SAMPLES

KINDS = ("github", "gitlab", "aws", "slack", "pem", "jwt", "password")


class Canaries:
    """Distinct, real-shaped credentials for one place, and their distinctive middles."""

    def __init__(self, place: str) -> None:
        rng = random.Random(hashlib.sha256(place.encode()).digest())
        alnum = string.ascii_letters + string.digits
        upper = string.ascii_uppercase + string.digits

        def pick(alphabet: str, n: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(n))

        github = pick(alnum, 36)
        gitlab = pick(alnum, 20)
        aws = pick(upper, 16)
        slack = pick(alnum, 24)
        pem_lines = [pick(alnum + "+/", 64) for _ in range(3)]
        claims = json.dumps({"sub": f"canary-{pick(alnum, 12)}", "role": "admin"})
        payload = base64.urlsafe_b64encode(claims.encode()).decode().rstrip("=")
        signature = pick(alnum + "-_", 43)
        password = pick(alnum, 18)
        self.values = {
            "github": "ghp_" + github,
            "gitlab": "glpat-" + gitlab,
            "aws": "AKIA" + aws,
            "slack": f"xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**12, 10**13)}"
            f"-{slack}",
            "pem": "-----BEGIN RSA PRIVATE KEY-----\n"
            + "\n".join(pem_lines)
            + "\n-----END RSA PRIVATE KEY-----",
            "jwt": f"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.{payload}.{signature}",
            "password": f'password = "{password}"',
        }
        self.middles = {
            "github": github[6:22],
            "gitlab": gitlab[4:16],
            "aws": aws[2:14],
            "slack": slack[4:20],
            "pem": pem_lines[1][8:40],
            "jwt": payload[8:30],
            "password": password[3:15],
        }

    def bundle(self) -> str:
        """All seven in one text, as a config line, a log line or a message might hold them."""
        v = self.values
        return (
            f"GITHUB_TOKEN={v['github']} gitlab: {v['gitlab']} aws_key {v['aws']} "
            f"slack {v['slack']} Authorization: Bearer {v['jwt']} {v['password']} key {v['pem']}"
        )


PLANTED: dict[str, Canaries] = {}


def canaries(place: str) -> Canaries:
    assert place not in PLANTED, f"place {place} planted twice"
    PLANTED[place] = Canaries(place)
    return PLANTED[place]


def leaks(where: str, text: str) -> list[str]:
    return [
        f"{kind} canary from {place} in {where}"
        for place, planted in PLANTED.items()
        for kind in KINDS
        if planted.values[kind] in text or planted.middles[kind] in text
    ]


def sample(relative: str) -> Any:
    return json.loads((SAMPLES / relative).read_bytes())


# --- reports with canaries in every field that can carry one -----------------------------------


def gitleaks_v7() -> bytes:
    items = []
    for kind in KINDS:
        c = canaries(f"gitleaks v7 {kind}")
        secret = c.values[kind]
        items.append(
            {
                "line": f"export TOKEN={secret}  # {c.bundle()}",
                "offender": secret,
                "commit": "d54ce70d0cf883054ed256db46406a5df551f000",
                "repo": ".",
                "rule": f"Generic {kind}",
                "commitMessage": f"add config {c.bundle()}\n",
                "author": "Dev Eloper",
                "email": "dev@acme.example",
                "file": f"deploy/{kind}.env",
                "date": "2024-04-04T15:52:59-07:00",
                "tags": "key",
            }
        )
    return json.dumps(items).encode()


def gitleaks_v8() -> bytes:
    template = sample("gitleaks/gitleaks.json")[0]
    items = []
    for kind in KINDS:
        c = canaries(f"gitleaks v8 {kind}")
        item = copy.deepcopy(template)
        item.update(
            RuleID=f"generic-{kind}",
            Secret=c.values[kind],
            Match=f"token: {c.values[kind]} {c.bundle()}",
            Message=f"wire provider {c.bundle()}",
            File=f"config/{kind}.yaml",
            Line=f"token: {c.values[kind]}",
        )
        items.append(item)
    return json.dumps(items).encode()


def gitleaks_csv() -> bytes:
    rows = list(csv.DictReader(io.StringIO((SAMPLES / "gitleaks" / "gitleaks.csv").read_text())))
    template = rows[0]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(template))
    writer.writeheader()
    for kind in KINDS:
        c = canaries(f"gitleaks csv {kind}")
        row = dict(template)
        row.update(
            RuleID=f"generic-{kind}",
            Secret=c.values[kind],
            Match=f"key = {c.values[kind]}",
            Message=f"commit {c.bundle()}",
            File=f"secrets/{kind}.txt",
        )
        writer.writerow(row)
    return out.getvalue().encode()


def sarif_generic() -> bytes:
    doc = sample("sarif/codeql-like.sarif")
    run = doc["runs"][0]
    result = run["results"][0]
    result.pop("codeFlows", None)
    message = canaries("sarif message")
    snippet = canaries("sarif snippet")
    context = canaries("sarif context snippet")
    related = canaries("sarif related message")
    result["message"] = {"text": f"query built with {message.bundle()}"}
    region = result["locations"][0]["physicalLocation"]["region"]
    region["snippet"] = {"text": snippet.bundle()}
    result["locations"][0]["physicalLocation"]["contextRegion"] = {
        "startLine": 40,
        "endLine": 44,
        "snippet": {"text": context.bundle()},
    }
    for location in result.get("relatedLocations", []):
        location["message"] = {"text": related.bundle()}
    run["results"] = [result]
    return json.dumps(doc).encode()


def sarif_gitleaks() -> bytes:
    results = []
    for kind in KINDS:
        c = canaries(f"gitleaks sarif {kind}")
        region = {
            "startLine": 3,
            "startColumn": 1,
            "endLine": 3,
            "endColumn": 40,
            "snippet": {"text": f"token = {c.values[kind]} {c.bundle()}"},
        }
        results.append(
            {
                "message": {"text": f"generic-{kind} has detected secret {c.values[kind]}"},
                "ruleId": f"generic-{kind}",
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f"deploy/{kind}.env"},
                            "region": region,
                        }
                    }
                ],
                "partialFingerprints": {
                    "commitSha": "0000000000000000",
                    "commitMessage": c.bundle(),
                },
            }
        )
    rules = [{"id": f"generic-{k}", "shortDescription": {"text": f"Generic {k}"}} for k in KINDS]
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "gitleaks", "semanticVersion": "v8.18.0", "rules": rules}
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc).encode()


def semgrep_report() -> bytes:
    doc = sample("semgrep/semgrep.json")
    template = doc["results"][0]
    results = []
    for credential_rule in (False, True):
        place = "semgrep credential rule" if credential_rule else "semgrep"
        lines, metavar, message = (
            canaries(f"{place} {part}") for part in ("lines", "metavars", "message")
        )
        result = copy.deepcopy(template)
        extra = result["extra"]
        extra["lines"] = lines.bundle()
        extra["message"] = f"Hard-coded value {message.bundle()}"
        extra["metavars"] = {
            "$TOKEN": {
                "start": result["start"],
                "end": result["end"],
                "abstract_content": metavar.bundle(),
                "propagated_value": {"svalue_abstract_content": metavar.bundle()},
            }
        }
        if credential_rule:
            result["check_id"] = "go.lang.security.hardcoded-credentials"
            extra["metadata"]["cwe"] = ["CWE-798: Use of Hard-coded Credentials"]
            result["start"]["line"] = result["end"]["line"] = 99
        results.append(result)
    doc["results"] = results
    doc["errors"] = []
    return json.dumps(doc).encode()


def trivy_secrets() -> bytes:
    doc = sample("trivy/trivy-image.json")
    secrets = []
    for kind in KINDS:
        match, lines = canaries(f"trivy match {kind}"), canaries(f"trivy code lines {kind}")
        code = [
            {
                "Number": number,
                "Content": f"export TOKEN={lines.values[kind]} {lines.bundle()}",
                "IsCause": number == 3,
                "Annotation": "",
                "Truncated": False,
                "Highlighted": f"export TOKEN={lines.values[kind]}",
                "FirstCause": number == 3,
                "LastCause": number == 3,
            }
            for number in (2, 3, 4)
        ]
        secrets.append(
            {
                "RuleID": f"generic-{kind}",
                "Category": "Generic",
                "Severity": "HIGH",
                "Title": f"Generic {kind}",
                "StartLine": 3,
                "EndLine": 3,
                "Code": {"Lines": code},
                "Match": f"export TOKEN={match.values[kind]} {match.bundle()}",
            }
        )
    doc["Results"] = [{"Target": "deploy/env.sh", "Class": "secret", "Secrets": secrets}]
    return json.dumps(doc).encode()


def curl_with_credentials(c: Canaries) -> str:
    v = c.values
    return (
        f"curl -X GET -H 'Authorization: Bearer {v['jwt']}' -H 'X-API-Key: {v['github']}' "
        f"-H 'Cookie: session={v['slack']}' -H 'PRIVATE-TOKEN: {v['gitlab']}' "
        f"-u 'admin:{v['aws']}' "
        f"'http://admin:{v['aws']}@127.0.0.1:8080/v1/items?token={v['gitlab']}&{v['password']}'"
    )


def schemathesis_junit() -> bytes:
    c = canaries("schemathesis junit curl")
    text = (
        "1. Test Case ID: Zr4Wm8\n\n- ST101 Server error\n\n[500] Internal Server Error:\n\n"
        f"    `internal error {c.values['password']}`\n\nReproduce with:\n\n"
        f"    {curl_with_credentials(c)}\n"
    )
    failure = ElementTree.Element("failure", type="failure", message="ST101")
    failure.text = text
    case = ElementTree.Element("testcase", name="GET /v1/items")
    case.append(failure)
    suite = ElementTree.Element("testsuite", name="schemathesis", tests="1", failures="1")
    suite.append(case)
    suites = ElementTree.Element("testsuites")
    suites.append(suite)
    return ElementTree.tostring(suites, encoding="utf-8", xml_declaration=True)


def schemathesis_ndjson() -> bytes:
    lines = (SAMPLES / "schemathesis" / "events.ndjson").read_text().splitlines()
    out = []
    for line in lines:
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if finished:
            for case_id, interaction in finished["recorder"].get("interactions", {}).items():
                c = canaries(f"schemathesis ndjson request {finished['id']} {case_id}")
                request = interaction["request"]
                v = c.values
                request["headers"] = {
                    "Authorization": [f"Bearer {v['jwt']}"],
                    "X-API-Key": [v["github"]],
                    "Cookie": [f"session={v['slack']}"],
                    "PRIVATE-TOKEN": [v["gitlab"]],
                    "X-Debug": [v["password"]],
                }
                request["uri"] = (
                    f"http://admin:{v['aws']}@127.0.0.1:8080/v1/items?token={v['gitlab']}"
                )
                body = json.dumps({"password": v["password"], "key": v["pem"]})
                request["body"] = {"$base64": base64.b64encode(body.encode()).decode()}
        out.append(json.dumps(event))
    return ("\n".join(out) + "\n").encode()


def zap_xml() -> bytes:
    root = ElementTree.fromstring((SAMPLES / "zap" / "zap-report.xml").read_bytes())
    for index, instance in enumerate(root.iter("instance")):
        c = canaries(f"zap xml instance {index}")
        for tag, value in (
            ("evidence", c.bundle()),
            ("attack", f"' OR 1=1 -- {c.values['password']} {c.values['jwt']}"),
            ("otherinfo", c.bundle()),
            ("requestheader", f"GET / HTTP/1.1\r\nAuthorization: Bearer {c.values['jwt']}"),
            ("responseheader", f"HTTP/1.1 200 OK\r\nSet-Cookie: s={c.values['slack']}"),
            ("requestbody", c.bundle()),
        ):
            element = instance.find(tag)
            if element is None:
                element = ElementTree.SubElement(instance, tag)
            element.text = value
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def zap_json() -> bytes:
    doc = sample("zap/zap-report.json")
    for site in doc["site"]:
        for alert in site["alerts"]:
            c = canaries(f"zap json alert {alert['pluginid']} {alert['alertRef']}")
            alert["otherinfo"] = c.bundle()
            for instance in alert.get("instances", []):
                instance["evidence"] = c.bundle()
                instance["attack"] = c.values["password"]
                instance["otherinfo"] = c.bundle()
                instance["request-header"] = f"Authorization: Bearer {c.values['jwt']}"
    return json.dumps(doc).encode()


BROKEN = ["broken/findings.json", "broken/gitleaks.json", "broken/gosec.json"]


def broken_reports() -> dict[str, bytes]:
    """Reports that fail to parse with canaries next to the failure: error messages must not
    quote them."""
    gosec = sample("gosec/gosec.json")
    c = canaries("gosec rule id of a broken issue")
    gosec["Issues"] = [{"rule_id": c.values["github"], "details": c.bundle()}]
    truncated = gitleaks_truncated()
    findings = {"generator": "hardening", "runs": [{"tool": "x", "severity_counts": {}}]}
    key = canaries("findings.json key")
    findings["runs"][0]["severity_counts"] = {key.values["aws"]: "many"}
    return dict(
        zip(
            BROKEN,
            [json.dumps(findings).encode(), truncated, json.dumps(gosec).encode()],
            strict=True,
        )
    )


def gitleaks_truncated() -> bytes:
    c = canaries("truncated gitleaks report")
    item = {"RuleID": "generic", "Secret": c.values["github"], "Match": c.bundle(), "File": "x"}
    text = json.dumps([item])
    return text[: text.index(c.values["github"]) + 28].encode()  # cut inside the secret


def write_reports(folder: Path) -> list[Path]:
    reports = {
        "gitleaks/v7.json": gitleaks_v7(),
        "gitleaks/v8.json": gitleaks_v8(),
        "gitleaks/gitleaks.csv": gitleaks_csv(),
        "sarif/gosentry.sarif": sarif_generic(),
        "gitleaks/gitleaks.sarif": sarif_gitleaks(),
        "semgrep/semgrep.json": semgrep_report(),
        "trivy/trivy-secrets.json": trivy_secrets(),
        "schemathesis/junit.xml": schemathesis_junit(),
        "schemathesis/events.ndjson": schemathesis_ndjson(),
        "zap/zap-report.xml": zap_xml(),
        "zap/zap-report.json": zap_json(),
        **broken_reports(),
    }
    paths = []
    for name, data in reports.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        paths.append(path)
    return paths


# --- the test ----------------------------------------------------------------------------------


def test_no_canary_reaches_any_output_baseline_terminal_error_or_comment(tmp_path: Path) -> None:
    PLANTED.clear()
    artifacts = tmp_path / "artifacts"
    paths = write_reports(artifacts)
    for path in paths:  # the canaries are really in the reports
        assert leaks(path.name, path.read_text(encoding="utf-8")), path
    out = tmp_path / "out"
    baseline = tmp_path / "baseline.json"
    seen: dict[str, str] = {}

    result = run_cli(["aggregate", str(artifacts), "--out", str(out), "--baseline", str(baseline)])
    assert result.exit_code == 0, result.output
    seen["aggregate terminal"] = result.stdout + result.stderr
    report = load_json(out / "findings.json")
    failed = [r["artifact"] for r in report["runs"] if r["status"] == "failed"]
    assert sorted(Path(a).relative_to(artifacts).as_posix() for a in failed) == BROKEN
    read = [r for r in report["runs"] if r["status"] == "ok"]
    assert len(read) >= 11 and all(r["findings"] for r in read), "every report was read"
    assert len(report["findings"]) >= 50

    update = run_cli(["baseline", "update", str(artifacts), "--baseline", str(baseline)])
    assert update.exit_code == 0, update.output
    seen["baseline update terminal"] = update.stdout + update.stderr
    shown = run_cli(["baseline", "show", "--baseline", str(baseline)])
    seen["baseline show"] = shown.stdout + shown.stderr
    seen["baseline"] = baseline.read_text(encoding="utf-8")

    for path in paths:
        for extra in ([], ["--json"]):
            inspected = run_cli(["inspect", str(path), *extra])
            seen[f"inspect {' '.join(extra)} {path.name}"] = inspected.stdout + inspected.stderr

    fake = FakeGitLab()
    with fake.running():
        env = merge_request_env(fake)
        posted = run_cli(["comment", str(out)], env=env)
    assert posted.exit_code == 0, posted.output
    seen["comment terminal"] = posted.stdout + posted.stderr
    bodies = [note["body"] for note in fake.notes.values()]
    assert bodies
    seen.update({f"posted comment {i}": body for i, body in enumerate(bodies)})
    seen.update({f"request to the fake {i}": str(r.body) for i, r in enumerate(fake.requests)})

    for path in out.iterdir():
        seen[f"out/{path.name}"] = path.read_text(encoding="utf-8")
    assert {"findings.json", "summary.md"} <= {p.name for p in out.iterdir()}

    found = [leak for where, text in seen.items() for leak in leaks(where, text)]
    assert found == [], "\n".join(found)


def test_a_quoted_secret_holding_escaped_quotes_is_masked_whole() -> None:
    """A JSON request body whose password holds a quote: no tail of it stays visible."""
    from hardening.redact import redact

    body = json.dumps({"password": 'pass = "Zq7vK2pW9xL4mT8r"', "user": "alice"})
    assert redact(body) == '{"password": "[REDACTED]", "user": "alice"}'
    assert redact('password: "it\'s a long secret"') == 'password: "[REDACTED]"'


# --- credentials in URLs and paths; a relayed findings.json; a secret quoted by another tool --


def everything_written(tmp_path: Path, artifacts: Path) -> dict[str, str]:
    """``aggregate`` (every output), ``baseline update``/``show``, ``inspect`` of each file and
    ``comment --dry-run``: the text of all they write or print, by where it was seen."""
    out, baseline = tmp_path / "out", tmp_path / "baseline.json"
    seen: dict[str, str] = {}
    result = run_cli(["aggregate", str(artifacts), "--out", str(out), "--baseline", str(baseline)])
    assert result.exit_code == 0, result.output
    seen["aggregate terminal"] = result.stdout + result.stderr
    update = run_cli(["baseline", "update", str(artifacts), "--baseline", str(baseline)])
    assert update.exit_code == 0, update.output
    seen["baseline update"] = update.stdout + update.stderr
    seen["baseline show"] = run_cli(["baseline", "show", "--baseline", str(baseline)]).stdout
    seen["baseline"] = baseline.read_text(encoding="utf-8")
    for path in sorted(p for p in artifacts.rglob("*") if p.is_file()):
        for extra in ([], ["--json"]):
            inspected = run_cli(["inspect", str(path), *extra])
            seen[f"inspect {' '.join(extra)} {path.name}"] = inspected.stdout + inspected.stderr
    dry = run_cli(["comment", str(out), "--dry-run"])
    seen["comment --dry-run"] = dry.stdout + dry.stderr
    for path in out.iterdir():
        seen[f"out/{path.name}"] = path.read_text(encoding="utf-8")
    return seen


def found_in(seen: dict[str, str], values: dict[str, str]) -> list[str]:
    return [
        f"{name} in {where}"
        for where, text in seen.items()
        for name, v in values.items()
        if v in text
    ]


# Credentials a URL or a path carries (distinct from every canary above).
URL_PASSWORD = "Vq8Lz3Np6Rt1Ws4Xy7Km"
TOKEN_FILE = "ghp_Ut5Ro2Ie8Wq4Pa1Sd7Fg3Hj6Kl9Zx0Cv2Bn"
TOKEN_FILE_2 = "ghp_Yt6Re3Wq9Ua2Sd8Fg4Hj7Kl1Zx5Cv0Bn3Mq"
ENCODED_PASSWORD = "Hp2Wd7Ks4Lm9Qz3Rt6Vn"
IN_URLS = {
    "URL password": URL_PASSWORD,
    "token file name": TOKEN_FILE[6:30],
    "second token file name": TOKEN_FILE_2[6:30],
    "percent-encoded URL password": ENCODED_PASSWORD,
}


def reports_with_credentials_in_urls_and_paths(folder: Path) -> None:
    sarif = sample("sarif/codeql-like.sarif")
    run = sarif["runs"][0]
    template = run["results"][0]
    template.pop("codeFlows", None)
    results = []
    for uri in (
        f"https://ci-bot:{URL_PASSWORD}@gitlab.example.com/acme/app/-/raw/main/src/db.go",
        f"config/{TOKEN_FILE}.go",
        "static/app.8f14e45fceea167a5a36dedd4bea2543.js",
        "builds/0123456789abcdef0123456789abcdef01234567/cmd/main.go",
    ):
        result = copy.deepcopy(template)
        result["locations"][0]["physicalLocation"]["artifactLocation"] = {"uri": uri}
        result.pop("relatedLocations", None)
        results.append(result)
    run["results"] = results
    run["properties"] = {"repository": f"https://ci-bot:{URL_PASSWORD}@gitlab.example.com/acme"}
    (folder / "sarif").mkdir(parents=True)
    (folder / "sarif" / "codeql.sarif").write_text(json.dumps(sarif))

    trivy = sample("trivy/trivy-image.json")
    trivy["ArtifactName"] = f"https://deploy:{URL_PASSWORD}@github.com/acme/app.git"
    trivy["ArtifactType"] = "repository"
    result = trivy["Results"][0]
    result["Target"] = "go.mod"
    result["Type"] = "gomod"
    vulnerability = result["Vulnerabilities"][0]
    vulnerability["PkgIdentifier"]["PURL"] = (
        "pkg:golang/git.example.com/acme/lib@v1.2.3?repository_url="
        f"https%3A%2F%2Fci%3A{ENCODED_PASSWORD}%40git.example.com%2Facme%2Flib"
    )
    vulnerability["References"] = [f"https://reader:{URL_PASSWORD}@advisories.example.com/x"]
    result["Vulnerabilities"] = [vulnerability]
    trivy["Results"] = [result]
    (folder / "trivy").mkdir()
    (folder / "trivy" / "trivy-repo.json").write_text(json.dumps(trivy))

    semgrep = sample("semgrep/semgrep.json")
    finding = semgrep["results"][0]
    finding["extra"]["metadata"]["references"] = [
        f"https://wiki:{URL_PASSWORD}@wiki.example.com/rules/tls"
    ]
    finding["extra"]["metadata"]["source"] = f"https://u:{URL_PASSWORD}@semgrep.example.com/r/x"
    semgrep["results"] = [finding]
    (folder / "semgrep").mkdir()
    (folder / "semgrep" / "semgrep.json").write_text(json.dumps(semgrep))

    leak = sample("gitleaks/gitleaks.json")[0]
    leaks_in_files = []
    for name in (TOKEN_FILE, TOKEN_FILE_2):
        item = copy.deepcopy(leak)
        item.update(File=f"deploy/{name}.env", Fingerprint=f"abc:deploy/{name}.env:rule:3")
        leaks_in_files.append(item)
    (folder / "gitleaks").mkdir()
    (folder / "gitleaks" / "gitleaks.json").write_text(json.dumps(leaks_in_files))


def test_credentials_in_urls_and_paths_reach_no_output_and_no_baseline(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    reports_with_credentials_in_urls_and_paths(artifacts)
    assert found_in({"reports": "".join(p.read_text() for p in artifacts.rglob("*.*"))}, IN_URLS)

    seen = everything_written(tmp_path, artifacts)

    assert found_in(seen, IN_URLS) == []
    findings = load_json(tmp_path / "out" / "findings.json")["findings"]
    paths = {f["location"]["path"] for f in findings if f.get("location")}
    assert "config/[REDACTED].go" in paths
    assert "src/db.go" in " ".join(paths) or any("[REDACTED]@" in p for p in paths)
    # Content-hashed bundle names and commit ids are not token shapes: they stay.
    assert "static/app.8f14e45fceea167a5a36dedd4bea2543.js" in paths
    assert "builds/0123456789abcdef0123456789abcdef01234567/cmd/main.go" in paths


def test_masking_a_path_never_re_keys_a_finding(tmp_path: Path) -> None:
    """Two leaks in files named by different tokens show the same masked path, yet stay two
    findings: identity uses the raw path."""
    artifacts = tmp_path / "artifacts"
    reports_with_credentials_in_urls_and_paths(artifacts)
    result = run_cli(["inspect", str(artifacts / "gitleaks" / "gitleaks.json"), "--json"])
    shown = json.loads(result.stdout)
    found = shown["findings"] if isinstance(shown, dict) else shown
    assert {f["location"]["path"] for f in found} == {"deploy/[REDACTED].env"}
    assert len({f["fingerprint"] for f in found}) == 2


RELAYED = {
    "title": "ghp_Rn4Ty8Ui2Op6As0Df3Gh7Jk1Lz5Xc9Vb4Nm",
    "message": "glpat-Qw7Er3Ty9Ui1Op5As2Df",
    "snippet": "AKIAZX4CV7BN2MQW8ER5",
    "path": "ghp_Pl0Ok9Ij8Uh7Yg6Tf5Rd4Es3Wa2Qz1Xc2Vb",
    "url password": "Tz5Yx1Wv8Us4Rq7Po3Nm",
    "evidence": "xoxb-111122223333-444455556666-Ab3Cd7Ef1Gh5Ij9Kl2Mn6Op",
    "run error": "glpat-Zx8Cv4Bn1Mq6Wl3Ek9Rj",
    "run warning": "ghp_Mn2Bv6Cx0Za4Sd8Fg1Hj5Kl9Qw3Er7Ty2Ui",
    "run property": "AKIAPO9IU8YT7RE6WQ5L",
    "report warning": "glpat-Lk5Jh9Gf3Ds7Aq1Wz6Xc",
    "justification": "ghp_Qa1Ws2Ed3Rf4Tg5Yh6Uj7Ik8Ol9Pz0Xc1Vb2",
}


def relayed_findings_json() -> dict[str, Any]:
    v = RELAYED
    return {
        "schema_version": "1.0",
        "generator": "hardening",
        "generator_version": "0.0.0",
        "warnings": [f"upstream said {v['report warning']}"],
        "runs": [
            {
                "tool": "semgrep",
                "format": "json",
                "status": "failed",
                "error": f"semgrep crashed with token {v['run error']}",
                "warnings": [f"config read with {v['run warning']}"],
                "properties": {
                    "origin": f"https://ci:{v['url password']}@x.example",
                    "key": v["run property"],
                },
            }
        ],
        "findings": [
            {
                "tool": "semgrep",
                "kind": "code",
                "rule_id": "go.lang.security.audit.x",
                "title": f"Hard-coded token {v['title']}",
                "severity": "high",
                "message": f"found {v['message']} here",
                "location": {
                    "path": f"src/{v['path']}.go",
                    "start_line": 3,
                    "snippet": f'key := "{v["snippet"]}"',
                },
                "references": [f"https://u:{v['url password']}@docs.example.com/a"],
                "endpoint": {"url": f"https://admin:{v['url password']}@api.example.com/v1"},
                "suppression": {"kind": "external", "justification": v["justification"]},
                "properties": {"evidence": f"seen {v['evidence']}"},
                "fingerprint": "0123456789abcdef0123456789abcdef",
            }
        ],
    }


def test_a_relayed_findings_json_is_redacted_like_any_input(tmp_path: Path) -> None:
    artifacts = tmp_path / "artifacts"
    (artifacts / "sast-report").mkdir(parents=True)
    (artifacts / "sast-report" / "findings.json").write_text(json.dumps(relayed_findings_json()))

    seen = everything_written(tmp_path, artifacts)

    assert found_in(seen, RELAYED) == []
    report = load_json(tmp_path / "out" / "findings.json")
    assert [f["fingerprint"] for f in report["findings"]] == ["0123456789abcdef0123456789abcdef"]


def test_comment_dry_run_of_a_hand_edited_findings_json_shows_no_secret(tmp_path: Path) -> None:
    (tmp_path / "findings.json").write_text(json.dumps(relayed_findings_json()))

    result = run_cli(["comment", str(tmp_path), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert r"Hard\-coded token \[REDACTED\]" in result.stdout  # Markdown-escaped
    assert found_in({"comment --dry-run": result.stdout + result.stderr}, RELAYED) == []


# A generic secret gitleaks found: no token shape, nothing the redactor alone would know.
QUOTED_SECRET = "Pk7Mw2Qz9Xr4Lt"
SHORT_SECRET = "Ab3x9Q"  # under 8 characters: too likely an ordinary word, left alone


def reports_quoting_a_found_secret(folder: Path) -> None:
    leak = sample("gitleaks/gitleaks.json")[0]
    items = []
    for secret in (QUOTED_SECRET, SHORT_SECRET):
        item = copy.deepcopy(leak)
        item.update(Secret=secret, Match=f"conn = {secret}", RuleID="generic-api-key")
        items.append(item)
    (folder / "gitleaks").mkdir(parents=True)
    (folder / "gitleaks" / "gitleaks.json").write_text(json.dumps(items))

    semgrep = sample("semgrep/semgrep.json")
    finding = semgrep["results"][0]
    finding["extra"]["message"] = f"Connection opened with {QUOTED_SECRET} and {SHORT_SECRET}"
    finding["extra"]["lines"] = f"dial(host, {QUOTED_SECRET})"
    semgrep["results"] = [finding]
    (folder / "semgrep").mkdir()
    (folder / "semgrep" / "semgrep.json").write_text(json.dumps(semgrep))

    zap = sample("zap/zap-report.json")
    for site in zap["site"]:
        for alert in site["alerts"]:
            for instance in alert.get("instances", []):
                instance["evidence"] = f"X-Conn: {QUOTED_SECRET}"
    (folder / "zap").mkdir()
    (folder / "zap" / "zap-report.json").write_text(json.dumps(zap))


def test_a_secret_gitleaks_found_is_masked_wherever_another_tool_quotes_it(
    tmp_path: Path,
) -> None:
    artifacts = tmp_path / "artifacts"
    reports_quoting_a_found_secret(artifacts)

    result = run_cli(["aggregate", str(artifacts), "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    written = {p.name: p.read_text(encoding="utf-8") for p in (tmp_path / "out").iterdir()}
    written["terminal"] = result.stdout + result.stderr
    assert found_in(written, {"quoted secret": QUOTED_SECRET}) == []
    report = load_json(tmp_path / "out" / "findings.json")
    semgrep = next(f for f in report["findings"] if f["tool"] == "semgrep")
    assert semgrep["message"] == f"Connection opened with [REDACTED] and {SHORT_SECRET}"
    zap = [f for f in report["findings"] if f["tool"] == "zap"]
    assert zap and all(QUOTED_SECRET not in json.dumps(f) for f in zap)


def test_a_tracked_file_named_by_a_token_is_kept_by_tracked_only_and_shown_masked(
    tmp_path: Path,
) -> None:
    import subprocess

    source = tmp_path / "src"
    (source / "config").mkdir(parents=True)
    (source / "config" / f"{TOKEN_FILE}.go").write_text("package config\n")
    git = ["git", "-C", str(source), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "x"], check=True)
    artifacts = tmp_path / "artifacts"
    reports_with_credentials_in_urls_and_paths(artifacts)
    out = tmp_path / "out"

    result = run_cli(
        [
            "aggregate",
            str(artifacts / "sarif"),
            "--out",
            str(out),
            "--source-root",
            str(source),
            "--tracked-only",
        ]
    )

    assert result.exit_code == 0, result.output
    paths = [f["location"]["path"] for f in load_json(out / "findings.json")["findings"]]
    assert paths == ["config/[REDACTED].go"]  # the only tracked one, found by its raw path
    assert TOKEN_FILE not in result.stdout
