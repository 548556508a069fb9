"""trivy JSON: SchemaVersion 2, the legacy array and both `trivy k8s` shapes.

One finding per vulnerability, failed misconfiguration, secret or license entry, per target;
identity never holds a version, OS release, line or vendor prose; secrets are never stored.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path, PurePath
from typing import Any

import pytest

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import CodeLocation, Component, Finding, Kind, RunStatus, Severity
from hardening.parsers.interface import Artifact, ParseResult
from hardening.parsers.trivy import (
    GITLAB_SKIP,
    JUNIT_SKIP,
    TABLE_SKIP,
    TrivyJsonParser,
    canonical_check_id,
    image_name,
    strip_os_suffix,
)
from hardening.paths import PathNormalizer
from hardening.reading import read_artifact
from support import SAMPLES

# Made-up canaries shaped like real credentials.
GHP = "ghp_" + "Qm7Rt2Yx9Wv4Kp8Lz3Nc6Bd1Fh5Gj0Hs2Ta7Ue"
AKIA = "AKIA" + "Q4W8E2R6T0Y3U7I1"


def parse(path: Path) -> ParseResult:
    return TrivyJsonParser().parse(Artifact(path=path, name=path.name))


def write(tmp_path: Path, content: Any, name: str = "trivy-report.json") -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def fingerprints(path: Path) -> list[str]:
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert outcome.skipped is None and not outcome.failed
    return [f.fingerprint for f in outcome.findings]


def only(findings: list[Finding], **fields: Any) -> Finding:
    matches = [f for f in findings if all(getattr(f, k) == v for k, v in fields.items())]
    assert len(matches) == 1, f"{len(matches)} findings match {fields}"
    return matches[0]


def vulnerability(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "VulnerabilityID": "CVE-2024-24790",
        "PkgName": "stdlib",
        "PkgIdentifier": {"PURL": "pkg:golang/stdlib@v1.22.3"},
        "InstalledVersion": "v1.22.3",
        "FixedVersion": "1.21.11, 1.22.4",
        "Status": "fixed",
        "SeveritySource": "nvd",
        "PrimaryURL": "https://avd.aquasec.com/nvd/cve-2024-24790",
        "Title": "golang: net/netip: unexpected behavior from Is methods for IPv4-mapped IPv6",
        "Description": "The Is methods of netip.Addr misreport IPv4-mapped IPv6 addresses.",
        "Severity": "CRITICAL",
        "CweIDs": ["CWE-180"],
        "CVSS": {"nvd": {"V3Score": 9.8}},
        "References": ["https://pkg.go.dev/vuln/GO-2024-2887"],
    }
    entry.update(overrides)
    return entry


def schema2(results: list[dict[str, Any]], **top: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "SchemaVersion": 2,
        "ArtifactName": ".",
        "ArtifactType": "filesystem",
        "Results": results,
    }
    report.update(top)
    return report


def misconfiguration(status: str, check_id: str = "DS002", **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "Type": "Dockerfile Security Check",
        "ID": check_id,
        "AVDID": f"AVD-DS-{int(check_id[2:]):04d}",
        "Title": "Image user should not be 'root'",
        "Description": "Running as root makes an escape worse.",
        "Message": "Specify at least 1 USER command in Dockerfile with non-root user as argument",
        "Severity": "HIGH",
        "Status": status,
        "CauseMetadata": {"Provider": "Dockerfile", "Service": "general", "Code": {"Lines": None}},
    }
    entry.update(overrides)
    return entry


# --- real corpus reports ---------------------------------------------------------------------


def test_legacy_array_first_vulnerability(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-legacy-list-93.json")
    first = result.findings[0]
    assert first.kind is Kind.dependency
    assert first.rule_id == "CVE-2011-3374"
    assert first.severity is Severity.low
    assert first.tool_severity == "LOW"
    assert list(first.identifiers) == ["CVE-2011-3374", "CWE-347"]
    assert first.component == Component(
        name="apt",
        installed_version="1.8.2.2",
        target="debian (debian 10.8)",
        ecosystem="debian",
    )
    assert first.location is None
    assert first.title == "CVE-2011-3374"  # the legacy entry has no Title
    assert first.message.startswith("It was found that apt-key in apt, all versions")
    assert first.references[0] == "https://avd.aquasec.com/nvd/cve-2011-3374"
    assert first.properties == {"cvss_v3": {"nvd": 3.7}, "severity_source": "debian"}
    # OS package: the image (here the Target without its OS release), never the version.
    assert first.identity == ["CVE-2011-3374", "apt", "debian"]
    assert result.runs[0].properties == {"schema": "legacy"}


def test_schema2_image_os_package(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-schema2-image-5.json")
    first = result.findings[0]
    assert (first.rule_id, first.severity, list(first.identifiers)) == (
        "CVE-2020-15999",
        Severity.medium,
        ["CVE-2020-15999", "CWE-787", "GHSA-pv36-h7jh-qm62"],
    )
    assert first.component is not None
    assert first.component.name == "freetype"
    assert first.component.installed_version == "2.9.1-r2"
    assert first.component.fixed_version == "2.9.1-r3"
    assert first.component.target == "teamdojo:latest (alpine 3.9.4)"
    assert first.identity == ["CVE-2020-15999", "freetype", "teamdojo"]
    run = result.runs[0]
    assert run.properties == {
        "artifact_name": "teamdojo:latest",
        "artifact_type": "container_image",
        "os": "alpine 3.9.4",
    }


def test_language_package_in_image_is_keyed_by_target_and_has_no_location(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-schema2-image-5.json")
    jar = only(result.findings, rule_id="CVE-2018-11771")
    assert jar.component is not None
    assert jar.component.name == "org.apache.commons:commons-compress"
    assert jar.component.ecosystem == "jar"
    # A path inside the image is not a path of the repository: no location to filter on.
    assert jar.location is None
    assert jar.identity == [
        "CVE-2018-11771",
        "org.apache.commons:commons-compress",
        "app/libs/commons-compress-1.14.jar|",
    ]


def test_package_path_inside_image_is_part_of_identity(corpus: Path) -> None:
    result = parse(corpus / "trivy/scb-juice-shop-v12.10.2.json")
    first = only(
        result.findings,
        rule_id="CVE-2021-3807",
        identity=[
            "CVE-2021-3807",
            "ansi-regex",
            "Node.js|juice-shop/node_modules/wide-align/node_modules/ansi-regex/package.json",
        ],
    )
    assert first.component is not None
    assert first.component.purl == "pkg:npm/ansi-regex@3.0.0"
    assert first.component.status == "fixed"
    assert first.component.package_path == (
        "juice-shop/node_modules/wide-align/node_modules/ansi-regex/package.json"
    )
    assert first.location is None
    assert first.properties["severity_source"] == "ghsa"


def test_filesystem_scan_dependency_is_located_at_its_lockfile(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-misconfig-and-secrets.json")
    urllib3 = only(result.findings, rule_id="CVE-2021-33503")
    assert urllib3.location == CodeLocation(path="requirements.txt")
    assert urllib3.severity is Severity.high
    # The GHSA alias comes from the advisory URLs trivy lists.
    assert list(urllib3.identifiers) == ["CVE-2021-33503", "CWE-400", "GHSA-q2q7-5pp4-w6pg"]
    assert urllib3.identity == ["CVE-2021-33503", "urllib3", "requirements.txt|"]
    assert len(urllib3.references) == 10
    assert urllib3.properties["cvss_v3"] == {"nvd": 7.5, "redhat": 7.5}


def test_github_pat_secret(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-misconfig-and-secrets.json")
    secret = only(result.findings, kind=Kind.secret, path="Dockerfile")
    assert secret.rule_id == "github-pat"
    assert secret.title == "GitHub Personal Access Token"
    assert secret.message == "GitHub Personal Access Token"
    assert secret.severity is Severity.critical
    assert secret.location == CodeLocation(path="Dockerfile", start_line=24, end_line=24)
    assert secret.identity == ["redacted", fingerprint.text_digest("ENV GITHUB_PAT=*****")]
    assert secret.properties == {"category": "GitHub"}
    assert "GITHUB_PAT" not in secret.model_dump_json()


def test_dockerfile_misconfiguration(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-misconfig-and-secrets.json")
    config = only(result.findings, kind=Kind.config)
    assert config.rule_id == "DS002"
    assert config.title == "Image user should not be 'root'"
    assert config.message == (
        "Specify at least 1 USER command in Dockerfile with non-root user as argument"
    )
    assert config.severity is Severity.high
    assert config.location == CodeLocation(path="Dockerfile")
    assert config.identity == ["DS-0002", "Dockerfile", ""]
    assert config.references[0] == "https://avd.aquasec.com/misconfig/ds002"


def cause(line: int, *contents: str) -> dict[str, Any]:
    lines = [
        {"Number": line + i, "Content": text, "IsCause": True} for i, text in enumerate(contents)
    ]
    return {
        "Provider": "Dockerfile",
        "StartLine": line,
        "EndLine": line + len(lines) - 1,
        "Code": {"Lines": lines},
    }


def dockerfile(*entries: dict[str, Any]) -> dict[str, Any]:
    return schema2(
        [{"Target": "Dockerfile", "Class": "config", "Misconfigurations": list(entries)}]
    )


def test_a_second_violation_of_one_check_in_one_file_is_its_own_finding(tmp_path: Path) -> None:
    first = misconfiguration("FAIL", "DS005", CauseMetadata=cause(4, "ADD vendor.tar.gz /opt/"))
    second = misconfiguration("FAIL", "DS005", CauseMetadata=cause(9, "ADD  config/ /etc/app/"))
    one, two = fingerprints(write(tmp_path, dockerfile(first, second)))
    assert one != two


def test_a_config_finding_keeps_its_identity_when_lines_move(tmp_path: Path) -> None:
    # The cause lines are identity, not their numbers nor their indentation.
    before = misconfiguration("FAIL", "DS005", CauseMetadata=cause(4, "ADD config/ /etc/app/"))
    after = misconfiguration("FAIL", "DS005", CauseMetadata=cause(12, "ADD   config/  /etc/app/"))
    assert fingerprints(write(tmp_path, dockerfile(before), "a.json")) == fingerprints(
        write(tmp_path, dockerfile(after), "b.json")
    )


def test_a_config_finding_without_resource_keeps_its_v1_identity_as_previous(
    tmp_path: Path,
) -> None:
    entry = misconfiguration("FAIL", "DS005", CauseMetadata=cause(4, "ADD config/ /etc/app/"))
    (finding,) = parse(write(tmp_path, dockerfile(entry))).findings
    assert finding.identity == [
        "DS-0005",
        "Dockerfile",
        "",
        fingerprint.text_digest("ADD config/ /etc/app/"),
    ]
    assert finding.previous_identity == ["DS-0005", "Dockerfile", ""]


def test_a_config_finding_without_cause_lines_or_with_a_resource_is_keyed_as_before(
    corpus: Path,
) -> None:
    whole_file = only(
        parse(corpus / "trivy/dd-misconfig-and-secrets.json").findings, kind=Kind.config
    )
    with_resource = only(
        parse(corpus / "trivy/trivy-action-config.json").findings, rule_id="AWS-0086"
    )
    assert (whole_file.identity, whole_file.previous_identity) == (
        ["DS-0002", "Dockerfile", ""],
        None,
    )
    assert with_resource.previous_identity is None


def test_terraform_misconfiguration_with_resource_and_lines(corpus: Path) -> None:
    result = parse(corpus / "trivy/trivy-action-config.json")
    assert result.runs[0].version == "0.72.0"
    check = only(result.findings, rule_id="AWS-0086")
    assert check.location is not None
    # `trivy config test/data/config-scan`: targets are relative to the folder scanned.
    assert (check.location.path, check.location.start_line, check.location.end_line) == (
        "test/data/config-scan/main.tf",
        8,
        10,
    )
    assert check.location.snippet == (
        'resource "aws_s3_bucket" "bucket" {\n  bucket = "trivy-action-bucket"\n}'
    )
    assert check.identity == ["AWS-0086", "test/data/config-scan/main.tf", "aws_s3_bucket.bucket"]
    assert check.properties["resource"] == "aws_s3_bucket.bucket"
    assert check.properties["service"] == "s3"


def test_licenses_of_packages_and_loose_files(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-licenses.json")
    gpl = result.findings[0]
    assert gpl.kind is Kind.license
    assert gpl.rule_id == "GPL-2.0"
    assert gpl.title == "License GPL-2.0 is restricted"
    assert gpl.severity is Severity.high
    assert gpl.component == Component(name="alpine-baselayout", target="OS Packages")
    assert gpl.location is None  # "OS Packages" is a label, not a path
    assert gpl.identity == ["GPL-2.0", "OS Packages", "alpine-baselayout"]
    loose = [f for f in result.findings if f.location is not None]
    assert [(f.rule_id, f.path) for f in loose] == [
        ("OpenSSL", "/etc/ssl/misc/CA.pl"),
        ("OpenSSL", "/etc/ssl/misc/tsget.pl"),
    ]
    assert loose[0].component is None
    assert list(loose[0].references) == ["https://spdx.org/licenses/OpenSSL.html"]
    assert loose[0].identity != loose[1].identity


def test_vendor_status_values_are_kept(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-all-statuses.json")
    statuses = [f.component.status for f in result.findings if f.component]
    assert statuses == [
        "unknown",
        "not_affected",
        "affected",
        "fixed",
        "under_investigation",
        "will_not_fix",
        "fix_deferred",
        "end_of_life",
    ]
    assert list(result.findings[3].identifiers) == ["CVE-2018-1000876", "CWE-190", "CWE-787"]
    assert result.findings[3].properties["status"] == "fixed"
    # Image name without tag: "noppaknopsta/example-app:main-159".
    assert result.findings[0].identity[2] == "noppaknopsta/example-app"


def test_k8s_resources_shape(corpus: Path) -> None:
    result = parse(corpus / "trivy/dd-k8s-resources-issue10991.json")
    assert result.runs[0].properties == {}  # this report's ClusterName is empty
    check = only(result.findings, rule_id="KSV001", path="default/Role/caas-scanners-role")
    assert check.location is not None
    assert (check.location.start_line, check.location.end_line) == (124, 136)
    assert list(check.identifiers) == ["AVD-KSV-0001"]
    assert check.severity is Severity.medium
    assert check.identity == ["KSV-0001", "Deployment/httpbin", "default/Role/caas-scanners-role"]
    assert check.properties["resource"] == "default/Role/caas-scanners-role"


def test_golden_image_report_version_purl_and_eosl_warning(corpus: Path) -> None:
    result = parse(corpus / "trivy/trivy-golden-alpine-310.json")
    run = result.runs[0]
    assert run.version == "dev"
    assert run.database_date is None  # the report carries no database date
    assert run.warnings == [
        "alpine 3.10.2 is end-of-service-life: trivy may miss vulnerabilities its vendor "
        "no longer tracks"
    ]
    first = result.findings[0]
    assert first.component is not None
    assert first.component.purl == (
        "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2"
    )
    assert first.identity == [
        "CVE-2019-1549",
        "libcrypto1.1",
        "testdata/fixtures/images/alpine-310.tar.gz",
    ]


def test_secret_context_lines_never_reach_output(corpus: Path) -> None:
    # trivy masks the matched secret but leaves other secrets in its context lines as is.
    result = parse(corpus / "trivy/trivy-golden-secrets.json")
    assert [
        (f.rule_id, f.path, f.location.start_line if f.location else None) for f in result.findings
    ] == [
        ("aws-access-key-id", "testdata/fixtures/repo/secrets/deploy.sh", 3),
        ("mysecret", "testdata/fixtures/repo/secrets/deploy.sh", 7),
    ]
    for finding in result.findings:
        dumped = finding.model_dump_json()
        assert "ghp_" not in dumped
        assert "AWS_ACCESS_KEY_ID" not in dumped
        assert finding.location is not None and finding.location.snippet is None


def test_empty_results_read_ok(corpus: Path) -> None:
    result = parse(corpus / "trivy/scb-empty-results.json")
    assert result.findings == []
    assert result.runs[0].status is RunStatus.ok


def test_junit_template_output_is_skipped_with_reason(corpus: Path) -> None:
    path = corpus / "trivy/trivy-golden-alpine-310.junit.xml"
    detection = TrivyJsonParser.detect(path.read_bytes(), PurePath(path))
    assert detection is not None
    assert detection.skip_reason == JUNIT_SKIP
    outcome = read_artifact(path, path.name, PathNormalizer())
    assert outcome.skipped is not None
    assert outcome.skipped.reason == JUNIT_SKIP


def test_sarif_is_not_claimed(corpus: Path) -> None:
    path = corpus / "trivy/trivy-golden-alpine-310.sarif"
    assert TrivyJsonParser.detect(path.read_bytes(), PurePath(path)) is None


# --- identity --------------------------------------------------------------------------------


def test_identity_survives_advisory_updates_and_image_rebuilds(
    corpus: Path, tmp_path: Path
) -> None:
    original = corpus / "trivy/dd-schema2-image-5.json"
    report = json.loads(original.read_text())
    edited = copy.deepcopy(report)
    edited["ArtifactName"] = "teamdojo:2.0.1@sha256:" + "ab" * 32
    edited["Metadata"]["OS"]["Name"] = "3.12.0"
    for result in edited["Results"]:
        result["Target"] = result["Target"].replace(
            "latest (alpine 3.9.4)", "2.0.1 (alpine 3.12.0)"
        )
        for vuln in result.get("Vulnerabilities") or []:
            vuln["Description"] = "Rewritten by the advisory database."
            vuln["Title"] = "A new title"
            vuln["References"] = ["https://example.org/advisory"]
            vuln["InstalledVersion"] = "9.9.9"
            vuln["FixedVersion"] = "10.0.0"
            vuln["Severity"] = "LOW"
    copy_path = write(tmp_path, edited, "dd-schema2-image-5.json")
    assert fingerprints(copy_path) == fingerprints(original)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("docker.io/library/alpine:3.10", "docker.io/library/alpine"),
        ("repo/x@sha256:" + "0" * 64, "repo/x"),
        ("registry.gitlab.com/acme/payments-api:1.4.2", "registry.gitlab.com/acme/payments-api"),
        ("localhost:5000/acme/api:dev", "localhost:5000/acme/api"),
        ("localhost:5000/acme/api", "localhost:5000/acme/api"),
        ("acme/api:1.0@sha256:" + "1" * 64, "acme/api"),
        (
            "testdata/fixtures/images/alpine-310.tar.gz",
            "testdata/fixtures/images/alpine-310.tar.gz",
        ),
    ],
)
def test_image_name_drops_tag_and_digest(reference: str, expected: str) -> None:
    assert image_name(reference) == expected


def test_os_release_suffix_is_dropped() -> None:
    assert strip_os_suffix("alpine:3.10 (alpine 3.10.2)") == "alpine:3.10"
    assert image_name(strip_os_suffix("alpine:3.10 (alpine 3.10.2)")) == "alpine"


@pytest.mark.parametrize(
    ("check_id", "avd_id", "expected"),
    [
        ("KSV001", "AVD-KSV-0001", "KSV-0001"),
        ("KSV001", None, "KSV-0001"),
        ("KSV-0001", None, "KSV-0001"),
        ("DS002", None, "DS-0002"),
        ("AVD-AWS-0086", "AVD-AWS-0086", "AWS-0086"),
        ("AWS-0086", None, "AWS-0086"),
        ("custom-check", None, "custom-check"),
    ],
)
def test_check_ids_of_every_trivy_version_share_one_identity(
    check_id: str, avd_id: str | None, expected: str
) -> None:
    assert canonical_check_id(check_id, avd_id) == expected


def test_os_packages_without_artifact_name_use_target_image(tmp_path: Path) -> None:
    legacy = [
        {
            "Target": "registry.example/acme/payments-api:1.4.2 (alpine 3.20.3)",
            "Type": "alpine",
            "Vulnerabilities": [vulnerability(PkgName="busybox")],
        }
    ]
    result = parse(write(tmp_path, legacy))
    assert result.findings[0].identity == [
        "CVE-2024-24790",
        "busybox",
        "registry.example/acme/payments-api",
    ]


@pytest.mark.parametrize(
    ("artifact_name", "target", "expected"),
    [
        (".", "go.mod", "go.mod"),
        ("./", "go.mod", "go.mod"),
        ("services/api", "go.mod", "services/api/go.mod"),
        ("./services/api/", "go.mod", "services/api/go.mod"),
        ("services\\api", "go.mod", "services/api/go.mod"),
        ("services/api/go.mod", "go.mod", "services/api/go.mod"),  # one file scanned
        # The checkout mounted into trivy's container, and a remote repository: left alone.
        ("/src", "go.mod", "go.mod"),
        ("https://github.com/acme/api", "go.mod", "go.mod"),
        ("git@github.com:acme/api.git", "go.mod", "go.mod"),
    ],
)
def test_source_scan_targets_are_paths_from_where_trivy_ran(
    tmp_path: Path, artifact_name: str, target: str, expected: str
) -> None:
    # `trivy fs services/api` reports services/api/go.mod as `Target: go.mod`.
    results = [
        {
            "Target": target,
            "Class": "lang-pkgs",
            "Type": "gomod",
            "Vulnerabilities": [vulnerability()],
        },
        {
            "Target": target,
            "Class": "secret",
            "Secrets": [
                {
                    "RuleID": "github-pat",
                    "Category": "GitHub",
                    "Severity": "CRITICAL",
                    "Title": "GitHub Personal Access Token",
                    "StartLine": 3,
                    "EndLine": 3,
                    "Match": "token = ****************************************",
                }
            ],
        },
    ]
    report = schema2(results, ArtifactName=artifact_name)
    dependency, secret = parse(write(tmp_path, report)).findings
    assert dependency.location == CodeLocation(path=expected)
    assert dependency.component is not None and dependency.component.target == expected
    assert dependency.identity == ["CVE-2024-24790", "stdlib", f"{expected}|"]
    assert secret.path == expected


def test_image_targets_are_not_put_under_the_artifact_name(tmp_path: Path) -> None:
    result = {"Target": "app/go.mod", "Class": "lang-pkgs", "Type": "gomod"}
    result["Vulnerabilities"] = [vulnerability()]
    report = schema2([result], ArtifactName="acme/api:1.2", ArtifactType="container_image")
    finding = parse(write(tmp_path, report)).findings[0]
    assert finding.location is None
    assert finding.identity == ["CVE-2024-24790", "stdlib", "app/go.mod|"]


def test_first_trivy_releases_without_type_still_key_os_packages_by_image(
    tmp_path: Path,
) -> None:
    # trivy before Type was written: an OS target is told by the release in parentheses.
    legacy = [
        {"Target": "node-app/package-lock.json", "Vulnerabilities": None},
        {
            "Target": "registry.example/acme/payments-api:1.4.2 (alpine 3.7.1)",
            "Vulnerabilities": [vulnerability(PkgName="curl")],
        },
        {
            "Target": "amazon/aws-cli (amazon 2 (Karoo))",
            "Vulnerabilities": [vulnerability(PkgName="glib2")],
        },
    ]
    curl, glib2 = parse(write(tmp_path, legacy)).findings
    assert curl.identity == ["CVE-2024-24790", "curl", "registry.example/acme/payments-api"]
    assert glib2.identity == ["CVE-2024-24790", "glib2", "amazon/aws-cli"]
    assert curl.location is None and glib2.location is None


def test_amazon_linux_release_in_nested_parentheses_is_dropped() -> None:
    assert strip_os_suffix("amazon/aws-cli (amazon 2 (Karoo))") == "amazon/aws-cli"
    assert strip_os_suffix("disk.vmdk (amazon 2 (Karoo))") == "disk.vmdk"


@pytest.mark.parametrize("key", ["PkgRef", "Ref"])
def test_sbom_package_reference_of_older_trivy_is_the_purl(tmp_path: Path, key: str) -> None:
    # `trivy sbom` 0.3x-0.4x: no PkgIdentifier; the SBOM component's purl as PkgRef (or Ref).
    entry = vulnerability(PkgIdentifier=None, **{key: "pkg:pypi/certifi@2022.5.18.1"})
    result = {"Target": "requirements.txt", "Class": "lang-pkgs", "Type": "pip"}
    result["Vulnerabilities"] = [entry, vulnerability(PkgIdentifier=None, **{key: "bom-ref-1"})]
    report = schema2([result], ArtifactName="sbom.json", ArtifactType="cyclonedx")
    purls = [f.component.purl for f in parse(write(tmp_path, report)).findings if f.component]
    assert purls == ["pkg:pypi/certifi@2022.5.18.1", None]


# --- severity --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"Severity": "UNKNOWN", "CVSS": {"nvd": {"V3Score": 9.8}}}, Severity.critical),
        ({"Severity": None, "CVSS": {"ghsa": {"V3Score": 5.3}}}, Severity.medium),
        (
            {
                "Severity": "UNKNOWN",
                "SeveritySource": "redhat",
                "CVSS": {"redhat": {"V3Score": 7.1}, "nvd": {"V3Score": 3.1}},
            },
            Severity.high,
        ),
        ({"Severity": "UNKNOWN", "CVSS": None}, Severity.info),
        ({"Severity": "LOW", "CVSS": {"nvd": {"V3Score": 9.8}}}, Severity.low),
    ],
)
def test_cvss_is_the_fallback_when_trivy_has_no_severity(
    tmp_path: Path, overrides: dict[str, Any], expected: Severity
) -> None:
    result: dict[str, Any] = {"Target": "go.mod", "Class": "lang-pkgs", "Type": "gomod"}
    result["Vulnerabilities"] = [vulnerability(**overrides)]
    report = schema2([result])
    finding = parse(write(tmp_path, report)).findings[0]
    assert finding.severity is expected
    assert finding.tool_severity == overrides["Severity"]


# --- misconfiguration statuses ---------------------------------------------------------------


def test_only_failed_misconfigurations_are_findings(tmp_path: Path) -> None:
    report = schema2(
        [
            {
                "Target": "Dockerfile",
                "Class": "config",
                "Type": "dockerfile",
                "MisconfSummary": {"Successes": 1, "Failures": 1, "Exceptions": 1},
                "Misconfigurations": [
                    misconfiguration("PASS", "DS001"),
                    misconfiguration("FAIL", "DS002"),
                    misconfiguration("EXCEPTION", "DS026"),
                ],
            }
        ]
    )
    result = parse(write(tmp_path, report))
    assert [f.rule_id for f in result.findings] == ["DS002"]
    assert list(result.findings[0].identifiers) == ["AVD-DS-0002"]


def test_iac_metadata_of_trivy_0_22_to_0_27_is_read_as_cause_metadata(tmp_path: Path) -> None:
    # trivy 0.28 renamed IacMetadata to CauseMetadata; the facts are the same.
    facts = {
        "Resource": "aws_s3_bucket.logs",
        "Provider": "AWS",
        "Service": "s3",
        "StartLine": 3,
        "EndLine": 9,
    }

    def report(key: str) -> dict[str, Any]:
        entry = misconfiguration("FAIL", "DS002", ID="AVD-AWS-0086", AVDID="AVD-AWS-0086")
        del entry["CauseMetadata"]
        entry[key] = facts
        return schema2(
            [
                {
                    "Target": "main.tf",
                    "Class": "config",
                    "Type": "terraform",
                    "Misconfigurations": [entry],
                }
            ]
        )

    older = write(tmp_path, report("IacMetadata"), "older.json")
    newer = write(tmp_path, report("CauseMetadata"), "newer.json")
    finding = only(parse(older).findings)
    assert finding.location == CodeLocation(path="main.tf", start_line=3, end_line=9)
    assert finding.properties == {
        "resource": "aws_s3_bucket.logs",
        "provider": "AWS",
        "service": "s3",
    }
    assert finding.identity == ["AWS-0086", "main.tf", "aws_s3_bucket.logs"]
    assert fingerprints(older) == fingerprints(newer)


# --- k8s -------------------------------------------------------------------------------------


def k8s_vulnerable_resource(name: str) -> dict[str, Any]:
    return {
        "Namespace": "payments",
        "Kind": "Deployment",
        "Name": name,
        "Results": [
            {
                "Target": "registry.example/acme/payments-api:1.4.2 (alpine 3.20.3)",
                "Class": "os-pkgs",
                "Type": "alpine",
                "Vulnerabilities": [vulnerability(PkgName="busybox")],
            }
        ],
    }


def k8s_misconfigured_resource() -> dict[str, Any]:
    return {
        "Namespace": "payments",
        "Kind": "Deployment",
        "Name": "payments-api",
        "Results": [
            {
                "Target": "Deployment/payments-api",
                "Class": "config",
                "Type": "kubernetes",
                "Misconfigurations": [
                    misconfiguration(
                        "FAIL",
                        "DS002",
                        ID="KSV014",
                        AVDID="AVD-KSV-0014",
                        CauseMetadata={"Provider": "Kubernetes", "StartLine": 21, "EndLine": 26},
                    )
                ],
            }
        ],
    }


def test_older_k8s_shape_with_vulnerabilities_and_misconfigurations(tmp_path: Path) -> None:
    report = {
        "ClusterName": "staging",
        "Vulnerabilities": [k8s_vulnerable_resource("payments-api")],
        "Misconfigurations": [k8s_misconfigured_resource()],
    }
    result = parse(write(tmp_path, report))
    vuln, config = result.findings
    assert vuln.identity == [
        "CVE-2024-24790",
        "busybox",
        "payments/Deployment/payments-api|registry.example/acme/payments-api",
    ]
    assert vuln.component is not None
    assert vuln.component.target == (
        "payments/Deployment/payments-api: registry.example/acme/payments-api:1.4.2 (alpine 3.20.3)"
    )
    assert vuln.location is None
    assert config.location == CodeLocation(
        path="payments/Deployment/payments-api", start_line=21, end_line=26
    )
    assert config.identity == [
        "KSV-0014",
        "Deployment/payments-api",
        "payments/Deployment/payments-api",
    ]
    assert result.runs[0].properties == {"cluster_name": "staging"}


def test_newer_k8s_shape_and_summary_shape_read_alike(tmp_path: Path) -> None:
    resources = [k8s_vulnerable_resource("payments-api"), k8s_misconfigured_resource()]
    newer = parse(write(tmp_path, {"ClusterName": "staging", "Resources": resources}, "a.json"))
    summary = parse(write(tmp_path, {"ClusterName": "staging", "Findings": resources}, "b.json"))
    older = parse(
        write(
            tmp_path,
            {
                "ClusterName": "staging",
                "Vulnerabilities": resources[:1],
                "Misconfigurations": resources[1:],
            },
            "c.json",
        )
    )
    assert [f.identity for f in newer.findings] == [f.identity for f in summary.findings]
    assert [f.identity for f in newer.findings] == [f.identity for f in older.findings]


def test_same_image_in_two_workloads_is_two_findings(tmp_path: Path) -> None:
    report = {
        "ClusterName": "staging",
        "Resources": [k8s_vulnerable_resource("payments-api"), k8s_vulnerable_resource("worker")],
    }
    first, second = parse(write(tmp_path, report)).findings
    assert first.identity != second.identity


def test_k8s_resource_errors_are_run_errors(tmp_path: Path) -> None:
    failing = {
        "Namespace": "payments",
        "Kind": "Deployment",
        "Name": "worker",
        "Error": f"pull access denied: token {GHP} rejected",
    }
    report = {"ClusterName": "staging", "Resources": [k8s_vulnerable_resource("api"), failing]}
    run = parse(write(tmp_path, report)).runs[0]
    assert run.status is RunStatus.ok
    assert run.run_errors == [
        "payments/Deployment/worker: pull access denied: token [REDACTED] rejected"
    ]


def test_k8s_report_where_every_resource_failed_is_a_failed_run(tmp_path: Path) -> None:
    failing = {"Namespace": "payments", "Kind": "Deployment", "Name": "api", "Error": "timeout"}
    run = parse(write(tmp_path, {"ClusterName": "staging", "Resources": [failing]})).runs[0]
    assert run.status is RunStatus.failed
    assert run.error == "trivy could not scan any of the 1 resource(s)"


# --- samples and suppressed findings (--show-suppressed) ------------------------------------


def test_sample_image_report() -> None:
    result = parse(SAMPLES / "trivy/trivy-image.json")
    assert result.runs[0].version == "0.58.1"
    assert [(f.kind, f.rule_id) for f in result.findings] == [
        (Kind.dependency, "CVE-2024-9143"),
        (Kind.dependency, "CVE-2024-9143"),
        (Kind.dependency, "CVE-2023-42363"),
        (Kind.dependency, "CVE-2023-45288"),
        (Kind.dependency, "CVE-2024-34156"),
        (Kind.dependency, "CVE-2024-51744"),
        (Kind.dependency, "CVE-2024-27304"),
        (Kind.secret, "gitlab-pat"),
    ]
    gobinary = result.findings[3]
    assert gobinary.identity == ["CVE-2023-45288", "golang.org/x/net", "app/payments-api|"]
    assert list(gobinary.identifiers) == ["CVE-2023-45288", "CWE-400", "GHSA-4v7x-pqxf-cx7m"]
    busybox = result.findings[2]
    assert busybox.identity == [
        "CVE-2023-42363",
        "busybox",
        "registry.gitlab.com/acme/payments-api",
    ]
    assert busybox.component is not None and busybox.component.status == "affected"


def test_modified_findings_are_kept_as_suppressed() -> None:
    result = parse(SAMPLES / "trivy/trivy-image.json")
    ignored = only(result.findings, rule_id="CVE-2024-27304")
    assert ignored.suppression is not None
    assert ignored.suppression.kind == "external"
    assert ignored.suppression.justification == (
        "ignored: payments-api only uses the extended query protocol; see SEC-214 "
        "(.trivyignore.yaml)"
    )
    assert ignored.severity is Severity.critical
    assert list(ignored.identifiers) == [
        "CVE-2024-27304",
        "CWE-89",
        "CWE-190",
        "GHSA-mrww-27vc-gghv",
    ]
    # Suppressing a finding does not change its identity.
    assert ignored.identity == [
        "CVE-2024-27304",
        "github.com/jackc/pgx/v5",
        "app/payments-api|",
    ]
    unsuppressed = [f for f in result.findings if f.suppression is None]
    assert len(unsuppressed) == 7


def test_sample_config_report() -> None:
    result = parse(SAMPLES / "trivy/trivy-config.json")
    assert [(f.rule_id, f.severity, f.path) for f in result.findings] == [
        ("DS002", Severity.high, "Dockerfile"),
        ("DS026", Severity.low, "Dockerfile"),
        ("KSV014", Severity.high, "deploy/k8s/deployment.yaml"),
        ("KSV011", Severity.low, "deploy/k8s/deployment.yaml"),
    ]
    assert result.findings[0].location == CodeLocation(
        path="Dockerfile", start_line=18, end_line=18, snippet="USER root"
    )


@pytest.mark.parametrize("name", ["trivy-image.json", "trivy-config.json"])
def test_samples_read_ok(name: str) -> None:
    path = SAMPLES / "trivy" / name
    outcome = read_artifact(path, name, PathNormalizer())
    assert outcome.parser is TrivyJsonParser
    assert [run.status for run in outcome.runs] == [RunStatus.ok]
    assert outcome.findings


# --- run metadata ----------------------------------------------------------------------------


def test_client_server_report_carries_the_database_date(tmp_path: Path) -> None:
    report = schema2(
        [],
        Trivy={
            "Version": "0.61.0",
            "Server": {
                "Version": "0.61.0",
                "VulnerabilityDB": {
                    "Version": 2,
                    "NextUpdate": "2025-03-02T06:23:05Z",
                    "UpdatedAt": "2025-03-01T06:23:05Z",
                    "DownloadedAt": "2025-03-01T09:41:55Z",
                },
            },
        },
    )
    run = parse(write(tmp_path, report)).runs[0]
    assert (run.version, run.database_date) == ("0.61.0", "2025-03-01T06:23:05Z")


def test_clean_report_without_results_reads_ok(tmp_path: Path) -> None:
    report = {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem"}
    result = parse(write(tmp_path, report))
    assert result.findings == []
    assert result.runs[0].status is RunStatus.ok


def test_null_report_is_claimed_only_by_path(tmp_path: Path) -> None:
    assert TrivyJsonParser.detect(b"null\n", PurePath("artifacts/trivy-report.json")) is not None
    assert TrivyJsonParser.detect(b"null\n", PurePath("trivy/report.json")) is not None
    assert TrivyJsonParser.detect(b"null\n", PurePath("artifacts/report.json")) is None
    result = parse(write(tmp_path, "null\n"))
    assert result.findings == []
    assert result.runs[0].status is RunStatus.ok


# --- detection -------------------------------------------------------------------------------


def test_detects_each_shape_from_a_cut_head(corpus: Path) -> None:
    cases = {
        "trivy/scb-juice-shop-v12.10.2.json": 90,
        "trivy/dd-legacy-list-93.json": 85,
        "trivy/dd-k8s-resources-issue10991.json": 90,
        "trivy/trivy-action-config.json": 90,
    }
    for name, score in cases.items():
        head = (corpus / name).read_bytes()[:300]  # cut mid-document
        detection = TrivyJsonParser.detect(head, PurePath("artifacts/report.json"))
        assert detection is not None and detection.score == score, name
        assert detection.skip_reason is None


def test_sibling_outputs_are_skipped_with_reasons() -> None:
    gitlab = (
        b'{"version": "15.0.7", "vulnerabilities": '
        b'[{"id": "x", "scanner": {"id": "trivy", "name": "trivy"}}]}'
    )
    table = (
        b"\nalpine:3.10 (alpine 3.10.2)\n===========================\n"
        b"Total: 2 (UNKNOWN: 0, LOW: 0, MEDIUM: 2, HIGH: 0, CRITICAL: 0)\n"
    )
    gitlab_detection = TrivyJsonParser.detect(gitlab, PurePath("gl-container-scanning.json"))
    table_detection = TrivyJsonParser.detect(table, PurePath("trivy.txt"))
    assert gitlab_detection is not None and gitlab_detection.skip_reason == GITLAB_SKIP
    assert table_detection is not None and table_detection.skip_reason == TABLE_SKIP


@pytest.mark.parametrize(
    "head",
    [
        # --severity HIGH,CRITICAL: only the severities asked for are counted
        "\ncompose-app-web:latest (debian 13.1)\n====================================\n"
        "Total: 36 (HIGH: 31, CRITICAL: 5)\n\n",
        # trivy config, 0.2x-0.4x and newer
        "\nDockerfile (dockerfile)\n=======================\n"
        "Tests: 23 (SUCCESSES: 22, FAILURES: 1, EXCEPTIONS: 0)\n"
        "Failures: 1 (HIGH: 1, CRITICAL: 0)\n",
        "\nmain.tf (terraform)\n\nTests: 1 (SUCCESSES: 0, FAILURES: 1)\n"
        "Failures: 1 (UNKNOWN: 0, LOW: 1, MEDIUM: 0, HIGH: 0, CRITICAL: 0)\n",
        # a clean scan in newer trivy prints the Report Summary alone
        "\nReport Summary\n\n\u250c\u2500\u2510\n\u2502 Target \u2502\n\u2514\u2500\u2518\n"
        "Legend:\n- '-': Not scanned\n- '0': Clean (no security findings detected)\n\n",
    ],
)
def test_every_table_output_is_skipped_with_a_reason(tmp_path: Path, head: str) -> None:
    # Named .sarif or .json as often as .txt: the reason must beat "invalid JSON".
    for name in ("trivy.txt", "trivy-results.sarif", "trivy-report.json"):
        path = tmp_path / name
        path.write_text(head, encoding="utf-8")
        outcome = read_artifact(path, name, PathNormalizer())
        assert outcome.skipped is not None and outcome.skipped.reason == TABLE_SKIP, name
        assert not outcome.runs


def test_other_tools_json_is_not_claimed() -> None:
    gitleaks = b'[{"RuleID": "github-pat", "File": "x.go"}]'
    gosec = b'{"Golang errors": {}, "Issues": [], "Stats": {}}'
    assert TrivyJsonParser.detect(gitleaks, PurePath("gitleaks.json")) is None
    assert TrivyJsonParser.detect(gosec, PurePath("gosec.json")) is None
    assert TrivyJsonParser.detect(b"[]", PurePath("gitleaks/report.json")) is None


# --- redaction -------------------------------------------------------------------------------


def test_canaries_never_reach_output(tmp_path: Path) -> None:
    secret = {
        "RuleID": "github-pat",
        "Category": "GitHub",
        "Severity": "CRITICAL",
        "Title": "GitHub Personal Access Token",
        "StartLine": 12,
        "EndLine": 12,
        "Code": {
            "Lines": [
                {"Number": 11, "Content": f"aws_key = {AKIA}", "IsCause": False},
                {"Number": 12, "Content": f'token := "{GHP}"', "IsCause": True},
            ]
        },
        "Match": f'token := "{GHP}"',  # as if trivy had not masked it
    }
    config = misconfiguration(
        "FAIL",
        "DS002",
        Message=f"Do not bake GITHUB_TOKEN={GHP} into the image",
        CauseMetadata={
            "StartLine": 3,
            "EndLine": 3,
            "Code": {"Lines": [{"Number": 3, "Content": f"ENV AWS_KEY={AKIA}", "IsCause": True}]},
        },
    )
    report = schema2(
        [
            {"Target": "internal/auth/token.go", "Class": "secret", "Secrets": [secret]},
            {"Target": "Dockerfile", "Class": "config", "Misconfigurations": [config]},
            {
                "Target": "go.mod",
                "Class": "lang-pkgs",
                "Type": "gomod",
                "Vulnerabilities": [vulnerability(Description=f"Leaked {GHP} in a test")],
            },
        ]
    )
    result = parse(write(tmp_path, report))
    assert len(result.findings) == 3
    for finding in result.findings:
        dumped = finding.model_dump_json()
        assert GHP not in dumped
        assert AKIA not in dumped
    leaked = result.findings[0]
    assert leaked.identity == ["hash", fingerprint.secret_digest("github-pat", f'token := "{GHP}"')]
    assert leaked.location == CodeLocation(
        path="internal/auth/token.go", start_line=12, end_line=12
    )


# --- broken input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "empty file"),
        ('{"SchemaVersion": 2, "Results": [{"Target": "go.mod", "Vulner', "truncated"),
        ('"trivy"', "top level is str"),
        ('{"SchemaVersion": 2, "Results": {"Target": "go.mod"}}', "Results is dict"),
        # An entry that cannot be read is skipped; a report of nothing else cannot be read.
        (
            '{"SchemaVersion": 2, "Results": ["go.mod"]}',
            "no entry could be read: Results[0]: the entry is str",
        ),
        (
            '{"SchemaVersion": 2, "Results": [{"Target": "go.mod", "Vulnerabilities": '
            '[{"PkgName": "stdlib"}]}]}',
            "no entry could be read: Results[0].Vulnerabilities[0]: the entry has no Vulnerability",
        ),
        ('{"ArtifactName": "x"}', "no SchemaVersion, Results or ClusterName"),
        ('{"ClusterName": "c", "Resources": {}}', "Resources is dict"),
    ],
)
def test_broken_input_is_a_parse_error(tmp_path: Path, content: str, reason: str) -> None:
    with pytest.raises(ParseError, match=re.escape(reason)):
        parse(write(tmp_path, content))


def test_parse_errors_never_carry_secrets(tmp_path: Path) -> None:
    content = json.dumps(schema2([{"Target": "x", "Secrets": [{"Match": GHP}]}]))
    with pytest.raises(ParseError) as caught:
        parse(write(tmp_path, content))
    assert GHP not in str(caught.value)


def test_packages_with_equal_vulnerability_properties_share_one_dict(tmp_path: Path) -> None:
    entries = [
        vulnerability(PkgName="stdlib"),
        vulnerability(PkgName="golang.org/x/net"),
        vulnerability(PkgName="golang.org/x/text", Status="affected"),
        vulnerability(PkgName="golang.org/x/crypto", CVSS={"nvd": {"V3Score": 7.5}}),
    ]
    result = {"Target": "go.mod", "Class": "lang-pkgs", "Type": "gomod"}
    report = schema2([{**result, "Vulnerabilities": entries}])
    first, second, affected, rescored = parse(write(tmp_path, report)).findings
    fixed = {"cvss_v3": {"nvd": 9.8}, "severity_source": "nvd", "status": "fixed"}
    assert first.properties == second.properties == fixed
    assert first.properties is second.properties
    assert affected.properties == {**fixed, "status": "affected"}
    assert rescored.properties == {**fixed, "cvss_v3": {"nvd": 7.5}}
