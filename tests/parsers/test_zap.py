"""ZAP traditional XML and JSON reports: one finding per listed alert instance."""

from __future__ import annotations

import json
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardening import fingerprint
from hardening.errors import ParseError
from hardening.model import Endpoint, Finding, Kind, RunStatus, Severity, Suppression
from hardening.parsers.interface import Artifact, ParseResult
from hardening.parsers.zap import (
    NO_SITE_ERROR,
    ZapJsonParser,
    ZapXmlParser,
    display_url,
    endpoint_identity,
    html_to_text,
    identity_url,
    reference_urls,
    site_of,
)
from support import SAMPLES

CANARY_GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
CANARY_AWS = "AKIA" + "Q7X2M9K4T6W8Z3B5"
CANARY_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY21lLXBheW1lbnRzIn0.c2lnbmF0dXJlLWZha2U"
CANARY_PLAIN = "plainCanary" + "Zx9Qp2Lm7Rt4Vw8Y"  # no token shape: only never reading it helps


def read_xml(path: Path) -> ParseResult:
    return ZapXmlParser().parse(Artifact(path=path, name=path.name))


def read_json(path: Path) -> ParseResult:
    return ZapJsonParser().parse(Artifact(path=path, name=path.name))


def xml_file(tmp_path: Path, text: str, name: str = "zap.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def json_file(tmp_path: Path, doc: Any, name: str = "zap.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def json_alert(**overrides: Any) -> dict[str, Any]:
    """A ZAP 2.14 traditional-JSON alert: every value a string."""
    alert: dict[str, Any] = {
        "pluginid": "10020",
        "alertRef": "10020-1",
        "alert": "Missing Anti-clickjacking Header",
        "name": "Missing Anti-clickjacking Header",
        "riskcode": "2",
        "confidence": "2",
        "riskdesc": "Medium (Medium)",
        "desc": "<p>The response does not protect against &#39;ClickJacking&#39; attacks.</p>",
        "instances": [
            {
                "uri": "http://api.acme.test/items/1",
                "method": "GET",
                "param": "x-frame-options",
                "attack": "",
                "evidence": "",
                "otherinfo": "",
            }
        ],
        "count": "1",
        "solution": "<p>Set X-Frame-Options.</p>",
        "otherinfo": "",
        "reference": "<p>https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/X-Frame-Options</p>",
        "cweid": "1021",
        "wascid": "15",
        "sourceid": "3",
    }
    alert.update(overrides)
    return alert


def instance(uri: str, **overrides: str) -> dict[str, str]:
    item = {"uri": uri, "method": "GET", "param": "", "attack": "", "evidence": "", "otherinfo": ""}
    item.update(overrides)
    return item


def json_report(*alerts: dict[str, Any], site: str = "http://api.acme.test") -> dict[str, Any]:
    return {
        "@programName": "ZAP",
        "@version": "2.14.0",
        "@generated": "Mon, 3 Mar 2025 09:14:27",
        "site": [
            {
                "@name": site,
                "@host": "api.acme.test",
                "@port": "80",
                "@ssl": "false",
                "alerts": list(alerts),
            }
        ],
    }


# --- real reports: XML ----------------------------------------------------------------------


def test_juice_shop_first_alert_is_one_finding_per_instance_with_the_alert_count(
    corpus: Path,
) -> None:
    result = read_xml(corpus / "zap/dd-2.10.0-juice-shop.xml")
    cache = [f for f in result.findings if f.rule_id == "10015"]
    assert len(cache) == 20
    assert {f.count for f in cache} == {78}
    first = result.findings[0]
    assert first.tool == "zap"
    assert first.kind is Kind.dast
    assert first.title == "Incomplete or No Cache-control Header Set"
    assert first.severity is Severity.low
    assert first.tool_severity == "Low (Medium)"
    assert first.confidence == "medium"
    assert first.endpoint == Endpoint(
        method="GET",
        url="https://juice-shop.herokuapp.com/assets/public/assets/public/assets/public/assets/public/main-es2018.js",
        param="Cache-Control",
    )
    assert list(first.identifiers) == ["CWE-525", "WASC-13"]
    assert list(first.references) == [
        "https://cheatsheetseries.owasp.org/cheatsheets/Session_Management_Cheat_Sheet.html#web-content-caching",
        "https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Cache-Control",
    ]
    assert first.message == (
        "The cache-control header has not been set properly or is missing, allowing the browser "
        "and proxies to cache content."
    )
    assert first.properties["evidence"] == "public, max-age=0"
    assert first.properties["alert_ref"] == "10015"
    assert first.properties["site"] == "https://juice-shop.herokuapp.com"
    assert first.suppression is None


def test_juice_shop_csp_wildcard_directive_is_medium_cwe_693(corpus: Path) -> None:
    result = read_xml(corpus / "zap/dd-2.10.0-juice-shop.xml")
    csp = [f for f in result.findings if f.rule_id == "10055"]
    assert len(csp) == 2
    assert {f.title for f in csp} == {"CSP: Wildcard Directive"}
    assert {f.severity for f in csp} == {Severity.medium}
    assert {f.count for f in csp} == {2}
    assert list(csp[0].identifiers) == ["CWE-693", "WASC-15"]
    assert csp[0].message.startswith(
        "The following directives either allow wildcard sources (or ancestors), are not defined, "
        "or are overly broadly defined:\nframe-ancestors, form-action\n"
    )


def test_juice_shop_run_names_version_and_generation_time(corpus: Path) -> None:
    (run,) = read_xml(corpus / "zap/dd-2.10.0-juice-shop.xml").runs
    assert run.tool == "zap"
    assert run.format == "xml"
    assert run.version == "2.10.0"
    assert run.status is RunStatus.ok
    assert run.properties == {
        "generated": "Tue, 14 Sep 2021 14:44:51",
        "sites": ["https://juice-shop.herokuapp.com"],
    }


def test_informational_alert_maps_to_info(corpus: Path) -> None:
    result = read_xml(corpus / "zap/dd-2.10.0-juice-shop.xml")
    comments = next(f for f in result.findings if f.rule_id == "10027")
    assert comments.severity is Severity.info
    assert comments.tool_severity == "Informational (Low)"
    assert comments.confidence == "low"


def test_site_with_empty_alerts_is_ok_with_no_findings(corpus: Path) -> None:
    result = read_xml(corpus / "zap/dd-2.9.0-empty.xml")
    assert result.findings == []
    (run,) = result.runs
    assert run.status is RunStatus.ok
    assert run.error is None
    assert run.properties["sites"] == ["https://isaac.nl"]


def test_multi_site_xml_places_each_finding_at_its_own_site(corpus: Path) -> None:
    result = read_xml(corpus / "zap/scb-2.11.1-bodgeit-5-sites.xml")
    assert result.runs[0].properties["sites"] == [
        "//bodgeit.securecodebox-demo.svc",
        "https://cwiki.apache.org",
        "http://wiki.apache.org",
        "https://content-signature-2.cdn.mozilla.net",
        "http://bodgeit.securecodebox-demo.svc:8080",
    ]
    first = result.findings[0]
    assert first.rule_id == "100001"
    assert first.properties["site"] == "https://cwiki.apache.org"
    assert first.endpoint == Endpoint(
        method="GET", url="https://cwiki.apache.org/confluence/display/tomcat/FrontPage"
    )
    assert first.confidence == "high"


def test_alert_with_empty_instances_is_one_false_positive_finding_at_the_site(
    corpus: Path,
) -> None:
    result = read_xml(corpus / "zap/scb-2.11.1-bodgeit-5-sites.xml")
    (http_only,) = [f for f in result.findings if f.rule_id == "10106"]
    assert http_only.title == "HTTP Only Site"
    assert http_only.endpoint == Endpoint(url="http://bodgeit.securecodebox-demo.svc:8080")
    assert http_only.count == 0
    assert http_only.severity is Severity.medium
    assert http_only.confidence == "false positive"
    assert http_only.suppression == Suppression(
        kind="falsePositive", justification="ZAP confidence 0 (false positive)"
    )
    assert list(http_only.identifiers) == ["CWE-311", "WASC-4"]
    assert http_only.properties["otherinfo"] == (
        "Failed to connect.\nZAP attempted to connect via: https://bodgeit.securecodebox-demo.svc:443"
    )


def test_zap_2_16_plain_text_fields_and_query_names_without_values(corpus: Path) -> None:
    result = read_xml(corpus / "zap/dd-2.16.1-req-resp.xml")
    (run,) = result.runs
    assert run.version == "2.16.1"
    assert run.properties["program_name"] == "ZAP"
    auth = result.findings[0]
    assert auth.rule_id == "10111"
    assert auth.endpoint == Endpoint(
        method="POST",
        url="https://example-domain.com/cpapi/api/account/verifypasswordless",
        param="user_identifier",
    )
    assert list(auth.identifiers) == []  # cweid and wascid are -1
    assert list(auth.references) == [
        "https://www.zaproxy.org/docs/desktop/addons/authentication-helper/auth-req-id/"
    ]
    assert auth.properties["otherinfo"] == (
        "userParam=user_identifier\nuserValue=string\npasswordParam=passwordless_code"
    )
    poisoning = result.findings[1]
    assert poisoning.rule_id == "10029"
    assert poisoning.count == 5
    assert poisoning.endpoint is not None
    assert poisoning.endpoint.url == (
        "https://example-domain.com/cpapi/api/redirect/getPrefillOtuTokenData?otuToken=&clearCache="
    )


def test_request_and_response_dumps_are_not_stored(corpus: Path) -> None:
    result = read_xml(corpus / "zap/dd-2.16.1-req-resp.xml")
    dumped = "".join(f.model_dump_json() for f in result.findings)
    assert "user-agent" not in dumped.lower()
    assert "Strict-Transport-Security" not in dumped
    assert 'passwordless_code\\":' not in dumped  # the request body


# --- real reports: JSON ---------------------------------------------------------------------


def test_zap_2_7_json_string_values_are_read_as_numbers(corpus: Path) -> None:
    result = read_json(corpus / "zap/heimdall-2.7.0-webgoat-4-sites.json")
    (run,) = result.runs
    assert run.format == "json"
    assert run.version == "2.7.0"
    assert run.properties["sites"] == [
        "http://ciscobinary.openh264.org",
        "http://code.jquery.com",
        "http://detectportal.firefox.com",
        "http://mymac.com:8191",
    ]
    svn = next(f for f in result.findings if f.rule_id == "42")
    assert svn.title == "Source Code Disclosure - SVN"
    assert svn.severity is Severity.high
    assert svn.tool_severity == "High (Low)"
    assert svn.count == 2
    assert list(svn.identifiers) == ["CWE-541", "WASC-34"]
    mkcol = next(f for f in result.findings if f.rule_id == "90028")
    assert mkcol.count == 32
    assert mkcol.endpoint == Endpoint(
        method="MKCOL", url="http://mymac.com:8191/WebGoat/SqlInjection/servers?column="
    )
    assert mkcol.severity is Severity.info


def test_plugin_id_is_the_rule_and_alert_ref_a_property(corpus: Path) -> None:
    old = read_json(corpus / "zap/bcgov-2.11.1-803-instances.json").findings
    new = read_json(corpus / "zap/llowgn-2.14.0-2-sites.json").findings
    # The CSP-header alert is alertRef 10038 in ZAP 2.11 and 10038-1 in 2.14: one rule.
    old_csp = next(f for f in old if f.rule_id == "10038")
    new_csp = next(f for f in new if f.rule_id == "10038")
    assert old_csp.properties["alert_ref"] == "10038"
    assert new_csp.properties["alert_ref"] == "10038-1"
    assert old_csp.identity == new_csp.identity == [
        "10038", "GET", "http", "www.itsecgames.com", "80", "/", ""
    ]  # fmt: skip


def test_header_param_case_does_not_change_identity_across_zap_versions(corpus: Path) -> None:
    old = read_json(corpus / "zap/bcgov-2.11.1-803-instances.json").findings
    new = read_json(corpus / "zap/llowgn-2.14.0-2-sites.json").findings
    old_xfo = next(f for f in old if f.rule_id == "10020")
    new_xfo = next(f for f in new if f.rule_id == "10020")
    assert old_xfo.endpoint is not None and new_xfo.endpoint is not None
    params = (old_xfo.endpoint.param, new_xfo.endpoint.param)
    assert params == ("X-Frame-Options", "x-frame-options")
    assert old_xfo.identity == new_xfo.identity


def test_site_without_scheme_and_per_instance_otherinfo(corpus: Path) -> None:
    result = read_json(corpus / "zap/llowgn-2.14.0-2-sites.json")
    assert result.runs[0].properties["sites"] == ["//www.mmebvba.com", "http://www.itsecgames.com"]
    bypass = result.findings[0]
    assert bypass.rule_id == "40038"
    assert list(bypass.identifiers) == []  # cweid 0
    assert bypass.properties["attack"] == "x-original-url: /downloads"
    assert bypass.properties["otherinfo"] == "http://www.itsecgames.com/downloads"
    second = result.findings[1]
    assert second.properties["otherinfo"] == "http://www.itsecgames.com/images"


# --- units, identity, suppression (hand-written) --------------------------------------------


def test_ids_in_the_path_collapse_to_one_fingerprint(tmp_path: Path) -> None:
    alert = json_alert(
        instances=[
            instance("http://api.acme.test/items/1", param="x-frame-options"),
            instance("http://api.acme.test/items/2", param="x-frame-options"),
            instance(
                "http://api.acme.test/items/7b9e6f0a-3c1d-4e2f-9a8b-0c1d2e3f4a5b",
                param="x-frame-options",
            ),
            instance("http://api.acme.test/items/export", param="x-frame-options"),
        ]
    )
    findings = read_json(json_file(tmp_path, json_report(alert))).findings
    assert len(findings) == 4
    fingerprint.assign(findings)
    prints = [f.fingerprint for f in findings]
    assert prints[0] == prints[1] == prints[2]
    assert prints[3] != prints[0]
    assert findings[0].identity == [
        "10020", "GET", "http", "api.acme.test", "80", "/items/{id}", "x-frame-options"
    ]  # fmt: skip


def test_instances_that_add_the_same_properties_share_one_dict(tmp_path: Path) -> None:
    alert = json_alert(
        instances=[
            instance("http://api.acme.test/items/1"),
            instance("http://api.acme.test/items/2"),
            instance("http://api.acme.test/items/3", evidence="DENY"),
            instance("http://api.acme.test/items/4", evidence="DENY"),
            instance("http://api.acme.test/items/5", evidence="SAMEORIGIN"),
        ]
    )
    findings = read_json(json_file(tmp_path, json_report(alert))).findings
    plain = {
        "alert_ref": "10020-1",
        "solution": "Set X-Frame-Options.",
        "site": "http://api.acme.test",
    }
    assert [f.properties for f in findings] == [
        plain, plain, {**plain, "evidence": "DENY"}, {**plain, "evidence": "DENY"},
        {**plain, "evidence": "SAMEORIGIN"},
    ]  # fmt: skip
    assert findings[0].properties is findings[1].properties
    assert findings[2].properties is findings[3].properties
    assert findings[3].properties is not findings[4].properties


def test_query_values_are_never_in_identity_or_endpoint(tmp_path: Path) -> None:
    alert = json_alert(
        instances=[
            instance("http://api.acme.test/search?q=alpha&page=2", param="q"),
            instance("http://api.acme.test/search?q=beta#frag", param="q"),
        ]
    )
    findings = read_json(json_file(tmp_path, json_report(alert))).findings
    assert [f.endpoint.url for f in findings if f.endpoint] == [
        "http://api.acme.test/search?q=&page=",
        "http://api.acme.test/search?q=",
    ]
    assert findings[0].identity == findings[1].identity
    assert not any("alpha" in part or "beta" in part for f in findings for part in f.identity)


def test_path_parameters_such_as_jsessionid_are_dropped(tmp_path: Path) -> None:
    alert = json_alert(
        instances=[
            instance("http://api.acme.test/shop;jsessionid=0A1B2C3D4E5F/cart", param="q"),
            instance("http://api.acme.test/shop;jsessionid=9F8E7D6C5B4A/cart", param="q"),
        ]
    )
    findings = read_json(json_file(tmp_path, json_report(alert))).findings
    assert {f.endpoint.url for f in findings if f.endpoint} == {"http://api.acme.test/shop/cart"}
    assert findings[0].identity == findings[1].identity


def test_confidence_zero_is_kept_and_marked_false_positive(tmp_path: Path) -> None:
    report = json_report(json_alert(confidence="0", riskdesc="Medium (False Positive)"))
    (finding,) = read_json(json_file(tmp_path, report)).findings
    assert finding.suppressed
    assert finding.suppression == Suppression(
        kind="falsePositive", justification="ZAP confidence 0 (false positive)"
    )
    assert finding.confidence == "false positive"
    assert finding.severity is Severity.medium


@pytest.mark.parametrize(
    ("code", "word"), [("1", "low"), ("2", "medium"), ("3", "high"), ("4", "user confirmed")]
)
def test_confidence_codes_are_described(tmp_path: Path, code: str, word: str) -> None:
    (finding,) = read_json(json_file(tmp_path, json_report(json_alert(confidence=code)))).findings
    assert finding.confidence == word
    assert finding.suppression is None


@pytest.mark.parametrize(
    ("riskcode", "expected"),
    [("3", Severity.high), ("2", Severity.medium), ("1", Severity.low), ("0", Severity.info)],
)
def test_riskcode_maps_to_severity(tmp_path: Path, riskcode: str, expected: Severity) -> None:
    report = json_report(json_alert(riskcode=riskcode))
    (finding,) = read_json(json_file(tmp_path, report)).findings
    assert finding.severity is expected


def test_json_numbers_are_accepted_as_well_as_strings(tmp_path: Path) -> None:
    report = json_report(json_alert(riskcode=3, confidence=3, count=12, cweid=79, wascid=8))
    (finding,) = read_json(json_file(tmp_path, report)).findings
    assert (finding.severity, finding.confidence, finding.count) == (Severity.high, "high", 12)
    assert list(finding.identifiers) == ["CWE-79", "WASC-8"]


def test_json_site_may_be_a_single_object(tmp_path: Path) -> None:
    report = json_report(json_alert())
    report["site"] = report["site"][0]
    result = read_json(json_file(tmp_path, report))
    assert len(result.findings) == 1
    assert result.runs[0].properties["sites"] == ["http://api.acme.test"]


def test_json_alert_without_instances_is_one_finding_at_the_site(tmp_path: Path) -> None:
    alert = json_alert(count="0")
    del alert["instances"]
    report = json_report(alert)
    report["site"][0].update({"@name": "//api.acme.test", "@host": "//api.acme.test"})
    report["site"][0].update({"@port": "8443", "@ssl": "true"})
    (finding,) = read_json(json_file(tmp_path, report)).findings
    assert finding.endpoint == Endpoint(url="https://api.acme.test:8443")
    assert finding.count == 0


def test_old_xml_alert_items_carry_their_instance_on_the_alert(tmp_path: Path) -> None:
    path = xml_file(
        tmp_path,
        """<?xml version="1.0"?><OWASPZAPReport version="2.4.3" generated="Wed, 1 Jun 2016">
<site name="http://api.acme.test" host="api.acme.test" port="80" ssl="false"><alerts>
<alertitem><pluginid>40018</pluginid><alert>SQL Injection</alert><riskcode>3</riskcode>
<confidence>2</confidence><riskdesc>High (Medium)</riskdesc>
<desc>&lt;p&gt;SQL injection may be possible.&lt;/p&gt;</desc>
<uri>http://api.acme.test/v1/payments?id=5</uri><param>id</param><attack>5-2</attack>
<otherinfo>&lt;p&gt;The page results were successfully manipulated&lt;/p&gt;</otherinfo>
<solution>&lt;p&gt;Use prepared statements.&lt;/p&gt;</solution>
<reference>&lt;p&gt;https://owasp.org/www-community/attacks/SQL_Injection&lt;/p&gt;</reference>
<cweid>89</cweid><wascid>19</wascid></alertitem>
</alerts></site></OWASPZAPReport>""",
    )
    (finding,) = read_xml(path).findings
    assert finding.rule_id == "40018"
    assert finding.severity is Severity.high
    assert finding.endpoint == Endpoint(url="http://api.acme.test/v1/payments?id=", param="id")
    assert finding.count is None
    assert finding.properties["attack"] == "5-2"
    assert finding.properties["otherinfo"] == "The page results were successfully manipulated"
    assert list(finding.references) == ["https://owasp.org/www-community/attacks/SQL_Injection"]


def test_licence_comment_before_the_xml_declaration_is_tolerated(tmp_path: Path) -> None:
    path = xml_file(
        tmp_path,
        "<!--\nSPDX-FileCopyrightText: the secureCodeBox authors\n-->\n"
        '<?xml version="1.0"?>\n<OWASPZAPReport version="2.11.1" generated="x">'
        '<site name="http://a.test" host="a.test" port="80" ssl="false"><alerts/></site>'
        "</OWASPZAPReport>",
    )
    result = read_xml(path)
    assert result.runs[0].status is RunStatus.ok
    assert result.findings == []


# --- run status -----------------------------------------------------------------------------


def test_xml_report_without_site_is_not_exercised(tmp_path: Path) -> None:
    path = xml_file(
        tmp_path,
        '<?xml version="1.0"?><OWASPZAPReport programName="ZAP" version="2.15.0" '
        'generated="Mon, 3 Mar 2025"></OWASPZAPReport>',
    )
    result = read_xml(path)
    (run,) = result.runs
    assert run.status is RunStatus.not_exercised
    assert run.error == NO_SITE_ERROR == "ZAP report lists no site: the target was not scanned"
    assert run.version == "2.15.0"
    assert result.findings == []


@pytest.mark.parametrize("site", [[], None])
def test_json_report_without_site_is_not_exercised(tmp_path: Path, site: Any) -> None:
    doc: dict[str, Any] = {"@programName": "ZAP", "@version": "2.15.0", "@generated": "x"}
    if site is not None:
        doc["site"] = site
    (run,) = read_json(json_file(tmp_path, doc)).runs
    assert run.status is RunStatus.not_exercised
    assert run.error == NO_SITE_ERROR


# --- redaction ------------------------------------------------------------------------------

CANARIES = (CANARY_GITHUB, CANARY_AWS, CANARY_JWT, CANARY_PLAIN)


def assert_no_canary(result: ParseResult) -> None:
    dumped = "".join(f.model_dump_json() for f in result.findings)
    dumped += "".join(r.model_dump_json() for r in result.runs)
    for canary in CANARIES:
        assert canary not in dumped


def test_xml_plus_canaries_appear_nowhere(tmp_path: Path) -> None:
    path = xml_file(
        tmp_path,
        f"""<?xml version="1.0"?><OWASPZAPReport programName="ZAP" version="2.16.1" generated="x">
<site name="https://api.acme.test" host="api.acme.test" port="443" ssl="true"><alerts>
<alertitem><pluginid>10024</pluginid><alertRef>10024</alertRef>
<alert>Information Disclosure - Sensitive Information in URL</alert><riskcode>0</riskcode>
<confidence>2</confidence><riskdesc>Informational (Medium)</riskdesc><desc>Leak.</desc>
<instances><instance>
<uri>https://api.acme.test/v1/cb?access_token={CANARY_PLAIN}&amp;k={CANARY_GITHUB}</uri>
<method>GET</method><param>access_token</param>
<attack>Authorization: Bearer {CANARY_JWT}</attack>
<evidence>{CANARY_AWS}</evidence>
<otherinfo>token={CANARY_GITHUB}</otherinfo>
<requestheader>GET / HTTP/1.1
X-Internal: {CANARY_PLAIN}
Authorization: Bearer {CANARY_JWT}</requestheader>
<requestbody>secret={CANARY_PLAIN}</requestbody>
<responseheader>Set-Cookie: sid={CANARY_PLAIN}</responseheader>
<responsebody>{CANARY_AWS} {CANARY_PLAIN}</responsebody>
</instance></instances><count>1</count>
<otherinfo>api_key = "{CANARY_PLAIN}"</otherinfo>
<cweid>200</cweid><wascid>13</wascid></alertitem>
</alerts></site></OWASPZAPReport>""",
    )
    result = read_xml(path)
    (finding,) = result.findings
    assert_no_canary(result)
    assert finding.endpoint == Endpoint(
        method="GET", url="https://api.acme.test/v1/cb?access_token=&k=", param="access_token"
    )
    assert finding.properties["evidence"] == "[REDACTED]"
    assert finding.properties["attack"] == "Authorization: [REDACTED]"


def test_json_canaries_appear_nowhere(tmp_path: Path) -> None:
    alert = json_alert(
        instances=[
            instance(
                f"https://ci:{CANARY_PLAIN}@api.acme.test/v1/{CANARY_GITHUB}?t={CANARY_PLAIN}",
                attack=f"x-api-key: {CANARY_AWS}",
                evidence=f"Authorization: Bearer {CANARY_JWT}",
                otherinfo=f"<p>password={CANARY_GITHUB}</p>",
            )
        ],
        otherinfo=f"<p>{CANARY_AWS}</p>",
        desc=f"<p>Found {CANARY_GITHUB}</p>",
    )
    result = read_json(json_file(tmp_path, json_report(alert)))
    assert_no_canary(result)
    (finding,) = result.findings
    assert finding.endpoint is not None
    assert finding.endpoint.url == "https://api.acme.test/v1/[REDACTED]?t="
    assert finding.identity[5] == "/v1/{token}"


def test_long_evidence_is_redacted_before_it_is_cut(tmp_path: Path) -> None:
    evidence = "x" * 495 + " " + CANARY_GITHUB
    alert = json_alert(instances=[instance("http://api.acme.test/", evidence=evidence)])
    (finding,) = read_json(json_file(tmp_path, json_report(alert))).findings
    assert "ghp_" not in finding.properties["evidence"]
    assert len(finding.properties["evidence"]) == 500


# --- broken and hostile input ---------------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<OWASPZAPReport version="2.15.0"><site name="&lol4;"/></OWASPZAPReport>"""


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"document type declarations \(DTD\) are refused"):
        read_xml(xml_file(tmp_path, BILLION_LAUGHS))


def test_external_entity_is_refused_and_its_file_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(CANARY_GITHUB, encoding="utf-8")
    path = xml_file(
        tmp_path,
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
        '<OWASPZAPReport version="2.15.0"><site name="http://a.test" host="a.test" port="80" '
        'ssl="false"><alerts><alertitem><pluginid>1</pluginid><desc>&xxe;</desc></alertitem>'
        "</alerts></site></OWASPZAPReport>",
    )
    with pytest.raises(ParseError, match="DTD") as caught:
        read_xml(path)
    assert CANARY_GITHUB not in str(caught.value)


def test_truncated_xml_is_a_parse_error(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "zap/dd-2.9.0-some.xml").read_bytes()
    path = tmp_path / "cut.xml"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="invalid or truncated XML"):
        read_xml(path)


def test_truncated_json_is_a_parse_error(corpus: Path, tmp_path: Path) -> None:
    data = (corpus / "zap/llowgn-2.14.0-2-sites.json").read_bytes()
    path = tmp_path / "cut.json"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="truncated or invalid JSON"):
        read_json(path)


@pytest.mark.parametrize("reader", [read_xml, read_json])
def test_empty_file_is_a_parse_error(tmp_path: Path, reader: Any) -> None:
    path = tmp_path / "empty"
    path.write_bytes(b"  \n")
    with pytest.raises(ParseError, match="empty file"):
        reader(path)


def test_xml_with_another_root_is_a_parse_error(tmp_path: Path) -> None:
    reason = r"root element is <testsuites>, expected <OWASPZAPReport>"
    with pytest.raises(ParseError, match=reason):
        read_xml(xml_file(tmp_path, "<testsuites><testsuite/></testsuites>"))


def test_alert_item_outside_a_site_is_a_parse_error(tmp_path: Path) -> None:
    path = xml_file(
        tmp_path, "<OWASPZAPReport><alertitem><pluginid>1</pluginid></alertitem></OWASPZAPReport>"
    )
    with pytest.raises(ParseError, match="outside any <site>"):
        read_xml(path)


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        ([], "ZAP JSON report is list, expected an object"),
        ({"@version": "2.15.0", "site": "x"}, '"site" is str, expected a list'),
        ({"@version": "2.15.0", "site": [[]]}, r"site\[0\] is list, expected an object"),
        (
            {"@version": "2.15.0", "site": [{"@name": "x", "alerts": [{"instances": "x"}]}]},
            # The one alert is skipped: a report of nothing else cannot be read.
            r"no entry could be read: site\[0\]\.alerts\[0\]: instances is str, expected a list",
        ),
        ({"runs": []}, 'not a ZAP traditional JSON report: no "site" or "@version" key'),
    ],
)
def test_json_of_the_wrong_shape_is_a_parse_error(tmp_path: Path, doc: Any, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        read_json(json_file(tmp_path, doc))


def test_alert_without_plugin_id_is_a_parse_error(tmp_path: Path) -> None:
    alert = json_alert()
    del alert["pluginid"], alert["alertRef"]
    with pytest.raises(ParseError, match="has no pluginid"):
        read_json(json_file(tmp_path, json_report(alert)))


# --- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "dd-2.9.0-some.xml",
        "dd-2.9.0-empty.xml",
        "dd-2.10.0-juice-shop.xml",
        "dd-2.16.1-req-resp.xml",
        "scb-2.11.1-bodgeit-5-sites.xml",
    ],
)
def test_xml_reports_are_claimed_by_the_xml_parser_only(corpus: Path, name: str) -> None:
    head = (corpus / "zap" / name).read_bytes()[: 64 * 1024]
    detection = ZapXmlParser.detect(head, PurePath(name))
    assert detection is not None and detection.score == 90 and detection.skip_reason is None
    assert ZapJsonParser.detect(head, PurePath(name)) is None


@pytest.mark.parametrize(
    "name",
    [
        "heimdall-2.7.0-webgoat-4-sites.json",
        "bcgov-2.11.1-803-instances.json",
        "llowgn-2.14.0-2-sites.json",
    ],
)
def test_json_reports_are_claimed_by_the_json_parser_only(corpus: Path, name: str) -> None:
    head = (corpus / "zap" / name).read_bytes()[: 64 * 1024]
    detection = ZapJsonParser.detect(head, PurePath(name))
    assert detection is not None and detection.score == 90 and detection.skip_reason is None
    assert ZapXmlParser.detect(head, PurePath(name)) is None


@pytest.mark.parametrize(
    "head",
    [
        b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "ZAP"}}}]}',
        b'{"Golang errors": {}, "Issues": [], "Stats": {}}',
        b'<?xml version="1.0"?><testsuites name="zap"><testsuite/></testsuites>',
        b"null",
    ],
)
def test_other_formats_are_not_claimed(head: bytes) -> None:
    path = PurePath("zap/report.json")
    assert ZapJsonParser.detect(head, path) is None
    assert ZapXmlParser.detect(head, path) is None


def test_zap_html_and_markdown_reports_are_skipped_with_a_reason() -> None:
    html = b"<!DOCTYPE html><html><head><title>ZAP Scanning Report</title></head>"
    html_claim = ZapXmlParser.detect(html, PurePath("report.html"))
    assert html_claim is not None and html_claim.skip_reason is not None
    assert html_claim.skip_reason.startswith("ZAP HTML report: not read")
    markdown = b"# ZAP Scanning Report\n\nZAP by [Checkmarx]"
    md_claim = ZapJsonParser.detect(markdown, PurePath("report.md"))
    assert md_claim is not None and md_claim.skip_reason is not None
    assert md_claim.skip_reason.startswith("ZAP Markdown report: not read")


# --- helpers --------------------------------------------------------------------------------


def test_html_fields_become_plain_text() -> None:
    assert html_to_text("<p>a &amp; b&apos;s</p><p></p><p>c\n   d</p>") == "a & b's\nc d"
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"


def test_plain_text_fields_keep_angle_brackets_and_lines() -> None:
    text = 'Form found: <form action="/login">\n\n   next   line '
    assert html_to_text(text) == 'Form found: <form action="/login">\nnext line'


def test_references_are_the_listed_urls() -> None:
    assert reference_urls(
        "<p>http://www.owasp.org/index.php/Testing_for_cookies_attributes_(OWASP-SM-002)</p>"
        '<p>see (https://owasp.org/a).</p><p><a href="https://cwe.mitre.org/x">CWE</a></p><p></p>'
    ) == [
        "https://cwe.mitre.org/x",
        "http://www.owasp.org/index.php/Testing_for_cookies_attributes_(OWASP-SM-002)",
        "https://owasp.org/a",
    ]
    assert reference_urls("<p></p>") == []


@pytest.mark.parametrize(
    ("name", "host", "port", "ssl", "url"),
    [
        ("https://a.test", "a.test", "443", "true", "https://a.test"),
        ("//a.test", "//a.test", "80", "false", "http://a.test"),
        ("//a.test", "//a.test", "8080", "false", "http://a.test:8080"),
        ("", "a.test", "443", "true", "https://a.test"),
    ],
)
def test_site_url_is_built_from_host_port_and_ssl_when_the_name_has_no_scheme(
    name: str, host: str, port: str, ssl: str, url: str
) -> None:
    assert site_of(name, host, port, ssl).url == url


def test_display_url_drops_credentials_fragment_and_bare_query_pieces() -> None:
    assert display_url("https://u:p4ss@a.test/x?wsdl&id=3#top") == "https://a.test/x?id="


# --- samples --------------------------------------------------------------------------------


def test_json_sample_reads_as_written() -> None:
    result = read_json(SAMPLES / "zap/zap-report.json")
    (run,) = result.runs
    assert run.status is RunStatus.ok
    assert run.version == "2.14.0"
    assert len(run.properties["sites"]) == 2
    rules = [f.rule_id for f in result.findings]
    assert rules == ["10038", "10038", "10038", "10024", "10010", "10035"]
    assert {f.count for f in result.findings[:3]} == {5}
    assert [f.suppressed for f in result.findings] == [False, False, False, False, True, False]
    assert result.findings[3].severity is Severity.info
    assert_no_fake_token(result.findings)


def test_xml_sample_reads_as_written() -> None:
    result = read_xml(SAMPLES / "zap/zap-report.xml")
    assert result.runs[0].status is RunStatus.ok
    assert [f.rule_id for f in result.findings] == ["40012", "10020", "10020", "10202", "10027"]
    xss = result.findings[0]
    assert xss.severity is Severity.high
    assert xss.properties["attack"] == "<scrIpt>alert(1);</scRipt>"
    assert result.findings[3].suppressed


def assert_no_fake_token(findings: list[Finding]) -> None:
    assert not any("FAKE-canary" in f.model_dump_json() for f in findings)


def test_unparseable_urls_and_lone_surrogates_still_make_printable_findings(
    tmp_path: Path,
) -> None:
    alert = json_alert(
        alert="Odd \ud800 title",
        instances=[instance("http://[::1/x?token=abc"), instance("http://\uff03x/y?q=1")],
    )
    path = tmp_path / "zap.json"
    path.write_text(json.dumps(json_report(alert)), encoding="utf-8")  # "\ud800" escaped
    findings = read_json(path).findings
    assert [f.endpoint.url for f in findings if f.endpoint] == [
        "http%3A//%5B%3A%3A1/x",
        "http%3A//%EF%BC%83x/y",  # a host that NFKC-normalizes to "#"
    ]
    assert findings[0].title == "Odd \ufffd title"
    for finding in findings:
        finding.model_dump_json()


_PIECES = [
    *(":", "//", "/", "?", "#", "@", ";", "[", "]", "::1", "Host.Example", "h", "80", ":99999"),
    *("u:p", "12", "a1b2c3d4e5f6a7", "Seg", "%2F", ".", "é", "", " ", "\t", "ghp_" + "A" * 36),
]
_JUNK = st.lists(st.sampled_from(_PIECES), max_size=6).map("".join)
_URIS = st.one_of(
    _JUNK,
    st.tuples(
        st.sampled_from(["http", "HTTPS", "ftp", "mailto", ""]),
        st.sampled_from(["://", ":", "//", ":///", ""]),
        st.sampled_from(["", "Host.Example", "u:p@h:8443", "[::1]:80", "h:99999", "[x"]),
        st.lists(st.sampled_from(["", "Seg", "12", "a;jsessionid=1", "ghp_" + "A" * 36, "é"])),
        _JUNK,
    ).map(lambda t: t[0] + t[1] + t[2] + "".join("/" + part for part in t[3]) + t[4]),
)


@given(_URIS)
def test_endpoint_identity_is_what_splitting_the_identity_url_again_gives(uri: str) -> None:
    # The identity parts come from the instance URI's one split where that is safe; they
    # must equal what fingerprinting the identity URL from scratch gives, for any URI.
    try:
        endpoint = fingerprint.endpoint_parts(urlsplit(identity_url(uri)))
        expected = fingerprint.endpoint_identity("10038", "get", endpoint, "x-frame")
    except ValueError:  # the identity URL does not split again: see the next test
        return
    assert endpoint_identity("10038", "get", uri, "X-Frame") == expected


def test_an_instance_uri_whose_identity_url_does_not_split_again_still_has_an_identity() -> None:
    # A relative URI "////[" splits with the path "//[", whose URL reads "//[" (a host "[").
    unsplittable = ["10038", "GET", "", "", "", "//[", ""]
    assert endpoint_identity("10038", "GET", "////[", None) == unsplittable


def _csp_alert(name: str, alert_ref: str) -> dict[str, Any]:
    page = instance("http://api.acme.test/", param="Content-Security-Policy")
    return json_alert(pluginid="10055", alertRef=alert_ref, alert=name, name=name, instances=[page])


def test_each_csp_weakness_on_one_page_is_its_own_finding(tmp_path: Path) -> None:
    # ZAP's CSP scanner raises one alert per weakness, all on the page's CSP header: merging
    # them would hide "script-src unsafe-inline" behind "Wildcard Directive", and accepting
    # one would accept the others.
    alerts = [
        _csp_alert("CSP: Wildcard Directive", "10055-4"),
        _csp_alert("CSP: script-src unsafe-inline", "10055-5"),
        _csp_alert("CSP: style-src unsafe-inline", "10055-6"),
    ]
    findings = read_json(json_file(tmp_path, json_report(*alerts))).findings
    fingerprint.assign(findings)
    assert len({f.fingerprint for f in findings}) == 3
    assert {f.rule_id for f in findings} == {"10055"}
    assert findings[1].identity[0] == "10055/script-src unsafe-inline"


def test_a_csp_weakness_keeps_its_identity_across_zap_versions(tmp_path: Path) -> None:
    # ZAP 2.9 named the alerts "CSP Scanner: ...", 2.10 on "CSP: ..."; alertRef came in 2.11.
    old = json_alert(pluginid="10055", alert="CSP Scanner: Wildcard Directive", name="")
    del old["alertRef"]
    old["instances"] = [instance("http://api.acme.test/", param="Content-Security-Policy")]
    new = _csp_alert("CSP: Wildcard  directive", "10055-4")
    findings = [
        *read_json(json_file(tmp_path, json_report(old), "old.json")).findings,
        *read_json(json_file(tmp_path, json_report(new), "new.json")).findings,
    ]
    fingerprint.assign(findings)
    assert findings[0].fingerprint == findings[1].fingerprint


def _put_alert(*uris: str) -> dict[str, Any]:
    pages = [instance(uri, method="PUT") for uri in uris]
    return json_alert(
        pluginid="90028",
        alertRef="90028-6",
        alert="Insecure HTTP Method - PUT",
        name="Insecure HTTP Method - PUT",
        instances=pages,
    )


def test_a_put_probe_keeps_its_identity_though_zap_names_a_random_resource(
    tmp_path: Path,
) -> None:
    # 90028 tries PUT (and PATCH) on a fresh random resource under the page, ten lowercase
    # letters and digits: /votes/hyp7hbjya6 one run, /votes/ag7i1mnbqn the next.
    first = _put_alert("http://api.acme.test/challenge/8/votes/hyp7hbjya6")
    second = _put_alert("http://api.acme.test/challenge/8/votes/ag7i1mnbqn")
    findings = [
        *read_json(json_file(tmp_path, json_report(first), "run1.json")).findings,
        *read_json(json_file(tmp_path, json_report(second), "run2.json")).findings,
    ]
    fingerprint.assign(findings)
    assert findings[0].fingerprint == findings[1].fingerprint
    # What ZAP probed is still what is shown.
    assert findings[1].endpoint == Endpoint(
        method="PUT", url="http://api.acme.test/challenge/8/votes/ag7i1mnbqn"
    )


def test_only_the_put_probe_loses_its_last_segment() -> None:
    page = "http://api.acme.test/service/lessonmenu.mvc"
    probed = endpoint_identity("90028", "PATCH", page + "/wreq5y0a7l", None)
    assert probed == endpoint_identity("90028", "PATCH", page + "/0oqh22nenm", None)
    # Other methods of the rule, and other rules, keep every segment.
    assert endpoint_identity("90028", "DELETE", page + "/wreq5y0a7l", None)[5].endswith(
        "/wreq5y0a7l"
    )
    assert endpoint_identity("10020", "PUT", page + "/wreq5y0a7l", None)[5].endswith("/wreq5y0a7l")
