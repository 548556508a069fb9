"""Scope is per scan target: a baseline finding is fixed only when today's run scanned its
target; drift is raised only when a target's scanner or database changed, naming both."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from hardening import diff, fingerprint
from hardening.baseline import BASELINE_SCHEMA_VERSION, Baseline, load
from hardening.cli import cli
from hardening.model import Finding, Kind, Report, Severity, State
from hardening.paths import PathNormalizer
from hardening.pipeline import AggregateOptions, aggregate
from hardening.reading import read_artifact
from hardening.report_io import json_schema, load_report
from support import SAMPLES

TODAY = date(2026, 12, 7)


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def record(baseline: Path, *reports: Path) -> None:
    """``baseline update`` from ``reports``."""
    invoke("baseline", "update", *map(str, reports), "--baseline", str(baseline))


def judge(baseline: Path, out: Path, *reports: Path) -> None:
    """``aggregate`` of ``reports`` against ``baseline``, its outputs into ``out``."""
    invoke("aggregate", *map(str, reports), "--baseline", str(baseline), "--out", str(out), "-q")


def findings_json(out: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((out / "findings.json").read_text())
    return data


def states_by_target(data: dict[str, Any]) -> dict[tuple[str, str | None], int]:
    counts: dict[tuple[str, str | None], int] = {}
    for finding in data["findings"]:
        key = (finding["state"], finding.get("target"))
        counts[key] = counts.get(key, 0) + 1
    return counts


def read(path: Path) -> tuple[list[str], list[Finding]]:
    outcome = read_artifact(path, path.name, PathNormalizer())
    (run,) = outcome.runs
    return run.targets, outcome.findings


def write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


# --- point 1: the reproductions ------------------------------------------------------------


def test_trivy_config_findings_stay_unknown_when_only_the_image_is_scanned(
    corpus: Path, tmp_path: Path
) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    image = corpus / "trivy/dd-schema2-image-5.json"
    baseline = tmp_path / "baseline.json"
    record(baseline, config, image)

    out = tmp_path / "out"
    judge(baseline, out, image)
    assert states_by_target(findings_json(out)) == {
        ("unchanged", "teamdojo"): 5,
        ("unknown", "test/data/config-scan"): 8,
    }

    before = load(baseline).entries
    record(baseline, image)
    assert load(baseline).entries == before  # the 8 config findings are kept


def test_zap_findings_of_a_site_not_scanned_today_stay_unknown(
    corpus: Path, tmp_path: Path
) -> None:
    mainsite = corpus / "zap/dd-2.9.0-some.xml"
    juice_shop = corpus / "zap/dd-2.10.0-juice-shop.xml"
    baseline = tmp_path / "baseline.json"
    record(baseline, mainsite, juice_shop)
    kept = len(load(baseline).entries)

    out = tmp_path / "out"
    judge(baseline, out, juice_shop)
    counts = states_by_target(findings_json(out))
    assert counts[("unknown", "https://mainsite.com:443")] > 0
    assert {state for state, _ in counts} == {"unchanged", "unknown"}

    record(baseline, juice_shop)
    assert len(load(baseline).entries) == kept


def test_a_finding_gone_from_a_target_scanned_today_is_fixed(corpus: Path, tmp_path: Path) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    image = corpus / "trivy/dd-schema2-image-5.json"
    data = json.loads(config.read_text())
    data["Results"][1]["Misconfigurations"] = data["Results"][1]["Misconfigurations"][1:]
    fewer = write(tmp_path / "today/trivy-config.json", data)
    baseline = tmp_path / "baseline.json"
    record(baseline, config, image)

    out = tmp_path / "out"
    judge(baseline, out, fewer)
    counts = states_by_target(findings_json(out))
    assert counts[("fixed", "test/data/config-scan")] == 1
    assert counts[("unknown", "teamdojo")] == 5


def test_one_zap_report_of_several_sites_names_each_findings_site(corpus: Path) -> None:
    targets, findings = read(corpus / "zap/scb-2.11.1-bodgeit-5-sites.xml")
    assert targets == [
        "http://bodgeit.securecodebox-demo.svc:80",
        "http://bodgeit.securecodebox-demo.svc:8080",
        "http://wiki.apache.org:80",
        "https://content-signature-2.cdn.mozilla.net:443",
        "https://cwiki.apache.org:443",
    ]
    by_target: dict[str | None, int] = {}
    for finding in findings:
        by_target[finding.target] = by_target.get(finding.target, 0) + 1
    assert by_target == {
        "http://bodgeit.securecodebox-demo.svc:8080": 206,
        "https://cwiki.apache.org:443": 2,
        "http://wiki.apache.org:80": 1,
        "https://content-signature-2.cdn.mozilla.net:443": 1,
    }


def test_a_site_scanned_clean_today_fixes_its_findings(corpus: Path, tmp_path: Path) -> None:
    """A site the report lists with no alert was scanned: what it had is fixed."""
    source = corpus / "zap/llowgn-2.14.0-2-sites.json"
    data = json.loads(source.read_text())
    clean_site = next(site for site in data["site"] if site["alerts"])
    clean_site["alerts"] = []
    clean = write(tmp_path / "today/zap.json", data)
    report = run([clean], baseline_of([source]))
    gone = {f.state for f in report.findings if f.state in (State.fixed, State.unknown)}
    assert gone == {State.fixed}


# --- targets per format ----------------------------------------------------------------------


def test_trivy_names_its_artifact(corpus: Path) -> None:
    assert read(corpus / "trivy/dd-schema2-image-5.json")[0] == ["teamdojo"]  # tag dropped
    assert read(corpus / "trivy/dd-misconfig-and-secrets.json")[0] == ["."]
    assert read(corpus / "trivy/trivy-golden-secrets.json")[0] == ["testdata/fixtures/repo/secrets"]
    assert read(corpus / "trivy/trivy-action-config.json")[0] == ["test/data/config-scan"]
    assert read(corpus / "trivy/dd-legacy-list-93.json")[0] == []  # legacy: names none


def test_trivy_json_and_sarif_of_one_image_name_the_same_target(corpus: Path) -> None:
    json_targets, json_findings = read(corpus / "trivy/trivy-golden-alpine-310.json")
    sarif_targets, sarif_findings = read(corpus / "trivy/trivy-golden-alpine-310.sarif")
    assert json_targets == sarif_targets == ["testdata/fixtures/images/alpine-310.tar.gz"]
    assert {f.target for f in json_findings} == {f.target for f in sarif_findings}


def test_an_absolute_scan_root_is_made_relative_like_paths(corpus: Path, tmp_path: Path) -> None:
    data = json.loads((corpus / "trivy/dd-misconfig-and-secrets.json").read_text())
    data["ArtifactName"] = "/builds/acme/shop"
    targets, findings = read(write(tmp_path / "trivy.json", data))
    assert targets == ["."]
    assert {f.target for f in findings} == {"."}


def test_a_repository_url_loses_its_credentials(corpus: Path, tmp_path: Path) -> None:
    data = json.loads((corpus / "trivy/trivy-golden-secrets.json").read_text())
    data["ArtifactName"] = "https://ci:glpat-abcdefghij0123456789@gitlab.example/Acme/Shop.git"
    targets, _ = read(write(tmp_path / "trivy.json", data))
    assert targets == ["https://gitlab.example:443/Acme/Shop.git"]


def test_schemathesis_names_its_api_base_url(corpus: Path) -> None:
    for name in ("local-4.32.5-flawed-events.ndjson", "local-4.32.5-flawed-report.json"):
        targets, findings = read(corpus / "schemathesis" / name)
        assert targets == ["http://127.0.0.1:8765"], name
        assert {f.target for f in findings} == {"http://127.0.0.1:8765"}
    # JUnit names no base URL (only failures' curl lines do): one unnamed target.
    assert read(corpus / "schemathesis/local-4.32.5-flawed-junit.xml")[0] == []


def test_govulncheck_names_the_module_its_sbom_names(corpus: Path) -> None:
    targets, findings = read(corpus / "govulncheck/dd-v1.1.4-issue15033.json")
    assert targets == ["github.com/alielmi98/golang-expense-tracker-api"]
    assert {f.target for f in findings} == set(targets)
    # Streams before govulncheck 1.1 have no SBOM object: one unnamed target.
    assert read(corpus / "govulncheck/vuln-source-call-symbol.json")[0] == []


def test_tools_that_name_no_scan_root_have_one_unnamed_target(corpus: Path) -> None:
    for name in ("gosec/dd-govwa-many-vulns.json", "semgrep/dd-v1.84.1-severities.json"):
        targets, findings = read(corpus / name)
        assert targets == [] and {f.target for f in findings} == {None}, name


def test_targets_never_change_a_fingerprint() -> None:
    def finding(target: str | None) -> Finding:
        return Finding(
            tool="zap",
            kind=Kind.dast,
            rule_id="10038",
            title="CSP header not set",
            severity=Severity.medium,
            identity=("10038", "GET", "https", "shop.test", "443", "/", ""),
            target=target,
        )

    findings = [finding(None), finding("https://shop.test:443"), finding("elsewhere")]
    fingerprint.assign(findings)
    assert len({f.fingerprint for f in findings}) == 1


def test_a_different_api_base_url_keeps_the_fingerprints(corpus: Path, tmp_path: Path) -> None:
    source = corpus / "schemathesis/local-4.32.5-flawed-report.json"
    data = json.loads(source.read_text())
    data["command"] = data["command"].replace(
        "http://127.0.0.1:8765/openapi.json", "openapi.json --url https://staging.test/api"
    )
    moved_targets, moved = read(write(tmp_path / "report.json", data))
    assert moved_targets == ["https://staging.test:443/api"]
    assert sorted(f.fingerprint for f in moved) == sorted(f.fingerprint for f in read(source)[1])


# --- older baselines and references ----------------------------------------------------------


def run(paths: list[Path], baseline: Baseline, **options: Any) -> Report:
    return aggregate(AggregateOptions(paths=paths, baseline=baseline, today=TODAY, **options))


def baseline_of(paths: list[Path]) -> Baseline:
    return diff.update(Baseline(), run(paths, Baseline()), TODAY)


def as_format_2(baseline: Baseline) -> str:
    """The baseline as hardening wrote it before baselines named targets."""
    data = json.loads(json.dumps(baseline.model_dump(mode="json", exclude_none=True)))
    for entry in data["entries"].values():
        entry.pop("target", None)
    data["tools"] = {
        tool: {key: value for key, value in records[0].items() if key != "target"}
        for tool, records in data["tools"].items()
    }
    data["schema_version"] = 2
    return json.dumps(data)


def test_an_older_baseline_is_read_and_upgraded(corpus: Path, tmp_path: Path) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    path = tmp_path / "baseline.json"
    path.write_text(as_format_2(baseline_of([config])))
    old = load(path)
    assert old.schema_version == BASELINE_SCHEMA_VERSION
    assert all(entry.target_unknown for entry in old.entries.values())

    record(path, config)
    upgraded = json.loads(path.read_text())
    assert upgraded["schema_version"] == BASELINE_SCHEMA_VERSION
    assert {e["target"] for e in upgraded["entries"].values()} == {"test/data/config-scan"}
    assert not any("target_unknown" in e for e in upgraded["entries"].values())
    assert upgraded["tools"] == {
        "trivy": [{"target": "test/data/config-scan", "version": "0.72.0"}]
    }


def test_an_entry_of_unknown_target_is_fixed_only_where_its_tool_scanned_one_target(
    corpus: Path, tmp_path: Path
) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    image = corpus / "trivy/dd-schema2-image-5.json"
    data = json.loads(config.read_text())
    data["Results"][1]["Misconfigurations"] = data["Results"][1]["Misconfigurations"][1:]
    fewer = write(tmp_path / "today/trivy-config.json", data)
    path = tmp_path / "baseline.json"
    path.write_text(as_format_2(baseline_of([config, image])))
    old = load(path)

    # trivy scanned one target today: the entries are judged as before targets were
    # recorded (the config finding and the image's five are gone).
    alone = run([fewer], old)
    assert alone.diff is not None and alone.diff.counts["fixed"] == 6
    # With the image scanned too, trivy scanned two targets: which one the entry was of is
    # not known, so the finding gone is unknown.
    both = run([fewer, image], old)
    assert both.diff is not None
    assert (both.diff.counts["fixed"], both.diff.counts["unknown"]) == (0, 1)


def test_compare_to_reference_keeps_the_targets(corpus: Path, tmp_path: Path) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    image = corpus / "trivy/dd-schema2-image-5.json"
    target_branch = tmp_path / "target"
    invoke("aggregate", str(config), str(image), "--out", str(target_branch), "-q")
    out = tmp_path / "out"
    invoke(
        "aggregate",
        str(image),
        "--baseline",
        str(tmp_path / "none.json"),
        "--compare-to",
        str(target_branch / "findings.json"),
        "--out",
        str(out),
        "-q",
    )
    assert states_by_target(findings_json(out)) == {
        ("unchanged", "teamdojo"): 5,
        ("unknown", "test/data/config-scan"): 8,
    }


def test_a_reference_written_before_targets_is_of_unknown_targets(
    corpus: Path, tmp_path: Path
) -> None:
    config = corpus / "trivy/trivy-action-config.json"
    image = corpus / "trivy/dd-schema2-image-5.json"
    target_branch = tmp_path / "target"
    invoke("aggregate", str(config), str(image), "--out", str(target_branch), "-q")
    old = findings_json(target_branch)
    old["schema_version"] = "1.0"
    for finding in old["findings"]:
        finding.pop("target", None)
    for tool_run in old["runs"]:
        tool_run.pop("targets", None)
    reference = write(tmp_path / "old-findings.json", old)
    entries = diff.reference_from_file(reference, TODAY).entries
    assert all(entry.target_unknown for entry in entries.values())
    # trivy scans two targets today: the config finding gone is of an unknown one.
    data = json.loads(config.read_text())
    data["Results"][1]["Misconfigurations"] = data["Results"][1]["Misconfigurations"][1:]
    fewer = write(tmp_path / "today/trivy-config.json", data)
    compared = run([image, fewer], Baseline(), reference=diff.reference_from_file(reference, TODAY))
    assert compared.diff is not None
    assert (compared.diff.counts["fixed"], compared.diff.counts["unknown"]) == (0, 1)


def test_findings_json_carries_targets_and_relays_them(corpus: Path, tmp_path: Path) -> None:
    sast = tmp_path / "sast"
    invoke("aggregate", str(corpus / "zap/llowgn-2.14.0-2-sites.json"), "--out", str(sast), "-q")
    written = load_report(sast / "findings.json")
    assert written.runs[0].targets == ["http://www.itsecgames.com:80", "http://www.mmebvba.com:80"]
    relayed = aggregate(AggregateOptions(paths=[sast / "findings.json"]))
    assert relayed.runs[0].targets == written.runs[0].targets
    assert {f.target for f in relayed.findings} == {"http://www.itsecgames.com:80"}


def test_the_json_schema_names_the_targets() -> None:
    definitions = json_schema()["$defs"]
    assert "target" in definitions["Finding"]["properties"]
    assert "targets" in definitions["ToolRun"]["properties"]
    assert "drift" in definitions["DiffInfo"]["properties"]


# --- point 3: drift only when something changed ----------------------------------------------


def trivy_at(corpus: Path, folder: Path, name: str, version: str, db: str) -> Path:
    """A corpus trivy report as written by trivy ``version`` with database ``db``."""
    data = json.loads((corpus / "trivy" / name).read_text())
    data["Trivy"] = {"Version": version, "Server": {"VulnerabilityDB": {"UpdatedAt": db}}}
    return write(folder / name, data)


def test_reports_at_different_versions_are_each_recorded_and_rerun_without_drift(
    corpus: Path, tmp_path: Path
) -> None:
    image = trivy_at(corpus, tmp_path, "dd-schema2-image-5.json", "0.57.1", "2026-11-01T06:00:00Z")
    config = trivy_at(
        corpus, tmp_path, "trivy-action-config.json", "0.58.1", "2026-12-01T06:00:00Z"
    )
    path = tmp_path / "baseline.json"
    record(path, image, config)
    assert json.loads(path.read_text())["tools"] == {
        "trivy": [
            {"target": "teamdojo", "version": "0.57.1", "database_date": "2026-11-01T06:00:00Z"},
            {
                "target": "test/data/config-scan",
                "version": "0.58.1",
                "database_date": "2026-12-01T06:00:00Z",
            },
        ]
    }
    out = tmp_path / "out"
    printed = invoke(
        "aggregate", str(image), str(config), "--baseline", str(path), "--out", str(out)
    )
    diff_info = findings_json(out)["diff"]
    assert (diff_info["drift_tools"], diff_info["drift"]) == ([], [])
    assert "changed since the baseline" not in printed
    assert "changed since the baseline" not in (out / "summary.md").read_text()


def test_drift_names_what_changed(corpus: Path, tmp_path: Path) -> None:
    name = "dd-schema2-image-5.json"
    before = trivy_at(corpus, tmp_path / "before", name, "0.57.1", "2026-11-01T06:00:00Z")
    after = trivy_at(corpus, tmp_path / "after", name, "0.58.1", "2026-12-01T06:00:00Z")
    data = json.loads(after.read_text())
    data["Results"][0]["Vulnerabilities"].append(
        {**data["Results"][0]["Vulnerabilities"][0], "VulnerabilityID": "CVE-2026-0001"}
    )
    after.write_text(json.dumps(data))
    path = tmp_path / "baseline.json"
    record(path, before)

    out = tmp_path / "out"
    printed = invoke("aggregate", str(after), "--baseline", str(path), "--out", str(out))
    report = findings_json(out)
    assert report["diff"]["drift_tools"] == ["trivy"]
    assert report["diff"]["drift"] == [
        {
            "tool": "trivy",
            "target": "teamdojo",
            "old_versions": ["0.57.1"],
            "new_version": "0.58.1",
            "old_database_dates": ["2026-11-01T06:00:00Z"],
            "new_database_date": "2026-12-01T06:00:00Z",
        }
    ]
    line = "trivy 0.57.1 → 0.58.1, DB 2026-11-01 → 2026-12-01 (teamdojo)"
    assert line in printed
    assert (
        "trivy 0\\.57\\.1 → 0\\.58\\.1, DB 2026\\-11\\-01 → 2026\\-12\\-01 \\(teamdojo\\)"
        in (out / "summary.md").read_text()
    )
    (new,) = [f for f in report["findings"] if f["state"] == "new"]
    assert new.get("drift") is True


def test_drift_is_per_target(corpus: Path, tmp_path: Path) -> None:
    """The config root scanned by a newer trivy does not make the image's new findings
    drift: the image was scanned by the version the baseline recorded for it."""
    image = trivy_at(
        corpus, tmp_path / "a", "dd-schema2-image-5.json", "0.57.1", "2026-11-01T06:00:00Z"
    )
    config = trivy_at(
        corpus, tmp_path / "a", "trivy-action-config.json", "0.57.1", "2026-11-01T06:00:00Z"
    )
    newer_config = trivy_at(
        corpus, tmp_path / "b", "trivy-action-config.json", "0.58.1", "2026-11-01T06:00:00Z"
    )
    baseline = baseline_of([image, config])
    report = run([image, newer_config], baseline)
    assert report.diff is not None
    assert report.diff.drift_lines() == ["trivy 0.57.1 → 0.58.1 (test/data/config-scan)"]


def test_drift_against_an_older_baseline_compares_with_its_one_record(
    corpus: Path, tmp_path: Path
) -> None:
    name = "dd-schema2-image-5.json"
    before = trivy_at(corpus, tmp_path / "before", name, "0.57.1", "2026-11-01T06:00:00Z")
    path = tmp_path / "baseline.json"
    path.write_text(as_format_2(baseline_of([before])))
    same = run([before], load(path))
    assert same.diff is not None and same.diff.drift == []
    after = trivy_at(corpus, tmp_path / "after", name, "0.58.1", "2026-11-01T06:00:00Z")
    changed = run([after], load(path))
    assert changed.diff is not None
    assert changed.diff.drift_lines() == ["trivy 0.57.1 → 0.58.1 (teamdojo)"]


def test_the_baseline_stays_byte_identical_when_rerun(corpus: Path, tmp_path: Path) -> None:
    image = trivy_at(corpus, tmp_path, "dd-schema2-image-5.json", "0.57.1", "2026-11-01T06:00:00Z")
    zap = corpus / "zap/scb-2.11.1-bodgeit-5-sites.xml"
    path = tmp_path / "baseline.json"
    record(path, zap, image)
    first = path.read_bytes()
    record(path, image, zap)
    assert path.read_bytes() == first


def test_the_terminal_names_what_each_run_scanned(corpus: Path) -> None:
    printed = invoke("aggregate", str(corpus / "zap/llowgn-2.14.0-2-sites.json"))
    assert "      scanned: http://www.itsecgames.com:80, http://www.mmebvba.com:80\n" in printed


def sarif_log(driver: str, results: list[dict[str, Any]], **run: Any) -> dict[str, Any]:
    return {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": driver, "rules": []}}, "results": results, **run}],
    }


def zap_sarif_result(url: str) -> dict[str, Any]:
    return {
        "ruleId": "10038",
        "level": "warning",
        "message": {"text": "Content Security Policy (CSP) Header Not Set"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": url}}}],
        "webRequest": {"method": "GET", "target": url},
    }


def test_zap_sarif_names_each_results_site_as_its_xml_does(tmp_path: Path) -> None:
    xml_targets, _ = read(SAMPLES / "zap/zap-report.xml")
    assert xml_targets == ["http://payments-api.acme.test:8080"]
    results = [
        zap_sarif_result("http://payments-api.acme.test:8080/v1/payments"),
        zap_sarif_result("https://PAYMENTS-ADMIN.acme.test/login"),
    ]
    targets, findings = read(write(tmp_path / "zap.sarif", sarif_log("ZAP", results)))
    assert targets == ["http://payments-api.acme.test:8080", "https://payments-admin.acme.test:443"]
    assert [f.target for f in findings] == targets


def test_trivy_sarif_of_a_folder_names_its_root(tmp_path: Path) -> None:
    result = {
        "ruleId": "CVE-2024-24790",
        "level": "error",
        "message": {"text": "Package: stdlib\nInstalled Version: 1.22.1\nFixed Version: 1.22.4"},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": "go.mod"}}}],
    }
    log = sarif_log(
        "Trivy",
        [result],
        originalUriBaseIds={"ROOTPATH": {"uri": "file:///builds/acme/shop/"}},
    )
    targets, findings = read(write(tmp_path / "trivy.sarif", log))
    assert targets == ["."]  # the CI checkout, made relative like paths
    assert [f.target for f in findings] == ["."]


def test_an_older_baseline_knows_a_zap_entrys_site_from_its_endpoint(
    corpus: Path, tmp_path: Path
) -> None:
    mainsite = corpus / "zap/dd-2.9.0-some.xml"
    juice_shop = corpus / "zap/dd-2.10.0-juice-shop.xml"
    path = tmp_path / "baseline.json"
    path.write_text(as_format_2(baseline_of([mainsite, juice_shop])))
    old = load(path)
    assert not any(entry.target_unknown for entry in old.entries.values())
    assert old.entries == baseline_of([mainsite, juice_shop]).entries
    # So a run of one site keeps the other's findings (ZAP scanned one target today, which
    # would have fixed entries of unknown target).
    report = run([juice_shop], old)
    assert report.diff is not None and report.diff.counts["fixed"] == 0
