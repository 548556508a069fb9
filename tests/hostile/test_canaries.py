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
