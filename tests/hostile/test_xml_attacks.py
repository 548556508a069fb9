"""XML attacks are refused with a clear reason, in ZAP reports and in every JUnit file.

Entity expansion (billion laughs, quadratic blow-up), external entities naming a local file,
external DTDs and parameter entities fetched over HTTP: each is refused before anything is
expanded or fetched.  The tests make every side effect observable: the local file named in an
entity is a FIFO whose writer notices any reader, and the URLs point at a server the test runs
on 127.0.0.1, which must receive no request at all.
"""

from __future__ import annotations

import contextlib
import os
import threading
import tracemalloc
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hostile_support import Scratch, load_json, parse_bytes, parser_class, run_cli, time_limit

from support import SAMPLES

#: The content of the local file the attacks try to read; it must never appear anywhere.
SECRET_CONTENT = "TOP-SECRET-4f9c2e71-do-not-disclose"


@dataclass
class Listener:
    """An HTTP server on 127.0.0.1 that records every request it gets."""

    url: str
    requests: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            body = f'<!ENTITY leak "{SECRET_CONTENT}">'.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Listener(url=f"http://127.0.0.1:{server.server_address[1]}", requests=seen)
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Bait:
    """A plain file and a FIFO holding the secret; the FIFO's writer notices any reader."""

    file: Path
    fifo: Path
    opened: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def bait(tmp_path: Path) -> Iterator[Bait]:
    folder = tmp_path / "private"
    folder.mkdir()
    secret = folder / "secret.txt"
    secret.write_text(SECRET_CONTENT + "\n")
    fifo = folder / "secret.fifo"
    os.mkfifo(fifo)
    found = Bait(file=secret, fifo=fifo)

    def writer() -> None:
        # Blocks until someone opens the FIFO for reading.
        fd = os.open(fifo, os.O_WRONLY)
        if not stopping.is_set():
            found.opened.set()
        with contextlib.suppress(BrokenPipeError):
            os.write(fd, SECRET_CONTENT.encode())
        os.close(fd)

    stopping = threading.Event()
    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    yield found
    stopping.set()
    # Unblock the writer by opening the read end ourselves.
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    thread.join(timeout=5)
    os.close(fd)


# --- documents --------------------------------------------------------------------------------

ZAP = """<?xml version="1.0"?>
{doctype}
<OWASPZAPReport programName="ZAP" version="2.14.0" generated="Mon, 3 Mar 2025 09:21:05">
<site name="http://api.acme.test" host="api.acme.test" port="80" ssl="false"><alerts>
<alertitem><pluginid>10020</pluginid><alertRef>10020</alertRef>
<alert>Missing Anti-clickjacking Header {payload}</alert>
<name>Missing Anti-clickjacking Header {payload}</name>
<riskcode>2</riskcode><confidence>2</confidence><desc>{payload}</desc>
<instances><instance><uri>http://api.acme.test/</uri><method>GET</method>
<evidence>{payload}</evidence><otherinfo>{payload}</otherinfo></instance></instances>
<count>1</count><solution>Set X-Frame-Options.</solution><cweid>1021</cweid>
</alertitem></alerts></site></OWASPZAPReport>
"""

SCHEMATHESIS_JUNIT = """<?xml version="1.0" encoding="utf-8"?>
{doctype}
<testsuites errors="0" failures="1" tests="1">
<testsuite name="schemathesis" errors="0" failures="1" tests="1">
<testcase name="GET /v1/payments/{{payment_id}}">
<failure type="failure" message="ST101">1. Test Case ID: Zr4Wm8

- ST101 Server error {payload}

[500] Internal Server Error:

    `internal error {payload}`

Reproduce with:

    curl -X GET http://127.0.0.1:8080/v1/payments/0</failure>
</testcase></testsuite></testsuites>
"""

GITLEAKS_JUNIT = """<?xml version="1.0" encoding="UTF-8"?>
{doctype}
<testsuites><testsuite failures="1" name="gitleaks" tests="1" time="">
<testcase classname="Generic API Key" file="config.yaml" name="generic-api-key has detected a
 secret in file config.yaml, line 3." time="">
<failure message="generic-api-key has detected a secret in file config.yaml"
 type="Generic API Key">{payload}</failure></testcase></testsuite></testsuites>
"""

TRIVY_JUNIT = """<?xml version="1.0" ?>
{doctype}
<testsuites name="trivy"><testsuite tests="1" failures="1" name="alpine:3.10 (alpine 3.10.2)">
<testcase classname="openssl-1.1.1c-r0" name="[MEDIUM] CVE-2019-1549" time="">
<failure message="openssl: information disclosure in fork()" type="description">{payload}</failure>
</testcase></testsuite></testsuites>
"""

LAUGHS = (
    '<!DOCTYPE r [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    + "]>"
)
#: One 50,000-character entity referenced 20,000 times: a gigabyte if expanded.
QUADRATIC_ENTITY = "a" * 50_000
QUADRATIC_REFS = "&a;" * 20_000


def attacks(bait: Bait, url: str) -> dict[str, tuple[str, str]]:
    """(doctype, payload) per attack; each would read the bait or fetch from ``url``."""
    return {
        "billion laughs": (LAUGHS, "&lol9;"),
        "quadratic blow-up": (f'<!DOCTYPE r [<!ENTITY a "{QUADRATIC_ENTITY}">]>', QUADRATIC_REFS),
        "external entity (file)": (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{bait.file}">]>',
            "&xxe;",
        ),
        "external entity (FIFO)": (f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{bait.fifo}">]>', "&xxe;"),
        "external entity (http)": (
            f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "{url}/entity">]>',
            "&xxe;",
        ),
        "external DTD": (f'<!DOCTYPE r SYSTEM "{url}/evil.dtd">', "&leak;"),
        "public DTD": (f'<!DOCTYPE r PUBLIC "-//ACME//DTD R//EN" "{url}/public.dtd">', ""),
        "parameter entity": (
            f'<!DOCTYPE r [<!ENTITY % remote SYSTEM "{url}/param.dtd"> %remote;]>',
            "&leak;",
        ),
    }


def no_doctype_attacks(bait: Bait, url: str) -> dict[str, tuple[str, str]]:
    """Attacks without a DTD: XInclude and a stylesheet PI, which nothing may follow."""
    xinclude = '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" parse="text" href="{}"/>'
    return {
        "XInclude (file)": ("", xinclude.format(f"file://{bait.file}")),
        "XInclude (http)": ("", xinclude.format(f"{url}/xinclude")),
        "stylesheet": (f'<?xml-stylesheet type="text/xsl" href="{url}/style.xsl"?>', ""),
    }


TEMPLATES = {"zap-xml": ZAP, "schemathesis-junit": SCHEMATHESIS_JUNIT}


def document(template: str, doctype: str, payload: str) -> bytes:
    return template.format(doctype=doctype, payload=payload).encode("utf-8")


def assert_nothing_was_read(bait: Bait, listener: Listener, *texts: str) -> None:
    assert not bait.opened.is_set(), "the FIFO named in an entity was opened"
    assert listener.requests == [], f"the server was asked for {listener.requests}"
    for text in texts:
        assert SECRET_CONTENT not in text


def assert_listener_works(listener: Listener) -> None:
    """The server does answer, so an empty request log means nothing asked."""
    with urllib.request.urlopen(f"{listener.url}/probe", timeout=5) as answer:
        assert answer.status == 200
    assert listener.requests == ["/probe"]


# --- the tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("parser", sorted(TEMPLATES))
def test_the_templates_are_real_reports(parser: str, tmp_path: Path) -> None:
    scratch = Scratch(tmp_path / "report.xml")
    outcome = parse_bytes(parser_class(parser), scratch, document(TEMPLATES[parser], "", "x"))
    scratch.close()
    assert outcome.result is not None and len(outcome.result.findings) == 1


@pytest.mark.parametrize("parser", sorted(TEMPLATES))
def test_dtd_attacks_are_refused_before_anything_is_expanded_or_fetched(
    parser: str, tmp_path: Path, bait: Bait, listener: Listener
) -> None:
    scratch = Scratch(tmp_path / "report.xml")
    reasons = {}
    for name, (doctype, payload) in attacks(bait, listener.url).items():
        data = document(TEMPLATES[parser], doctype, payload)
        tracemalloc.start()
        try:
            outcome = parse_bytes(parser_class(parser), scratch, data)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert outcome.error is not None, f"{name}: accepted"
        assert "DTD" in outcome.error, f"{name}: unclear reason {outcome.error!r}"
        assert peak < 8 * len(data) + 16 * 1024**2, f"{name}: {peak:,} bytes"
        reasons[name] = outcome.error
    scratch.close()
    assert_nothing_was_read(bait, listener, *reasons.values())
    assert_listener_works(listener)


@pytest.mark.parametrize("parser", sorted(TEMPLATES))
def test_xinclude_and_stylesheets_are_never_followed(
    parser: str, tmp_path: Path, bait: Bait, listener: Listener
) -> None:
    scratch = Scratch(tmp_path / "report.xml")
    dumps = []
    for name, (prolog, payload) in no_doctype_attacks(bait, listener.url).items():
        outcome = parse_bytes(
            parser_class(parser), scratch, document(TEMPLATES[parser], prolog, payload)
        )
        assert outcome.result is not None, f"{name}: {outcome.error}"
        dumps.extend(f.model_dump_json() for f in outcome.result.findings)
    scratch.close()
    assert_nothing_was_read(bait, listener, *dumps)
    assert_listener_works(listener)


def test_the_refusals_name_the_reason(tmp_path: Path, bait: Bait, listener: Listener) -> None:
    doctype, payload = attacks(bait, listener.url)["external entity (file)"]
    scratch = Scratch(tmp_path / "report.xml")
    zap = parse_bytes(parser_class("zap-xml"), scratch, document(ZAP, doctype, payload))
    junit = parse_bytes(
        parser_class("schemathesis-junit"), scratch, document(SCHEMATHESIS_JUNIT, doctype, payload)
    )
    scratch.close()
    assert zap.error == (
        "XML document type declarations (DTD) are refused: ZAP reports have none, and they "
        "carry entity-expansion and external-entity attacks"
    )
    assert junit.error == (
        "XML with a DOCTYPE or entity declarations refused: reports must not carry DTDs"
    )


def test_aggregate_refuses_every_xml_attack_and_reads_the_rest(
    tmp_path: Path, bait: Bait, listener: Listener
) -> None:
    """ZAP and Schemathesis reports carrying XXE fail with the reason; gitleaks and trivy
    JUnit exports (whatever they carry) are skipped unread; the gosec report is read."""
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    xxe, entity = attacks(bait, listener.url)["external entity (file)"]
    remote, _ = attacks(bait, listener.url)["external DTD"]
    (artifacts / "zap-report.xml").write_bytes(document(ZAP, xxe, entity))
    (artifacts / "schemathesis-junit.xml").write_bytes(document(SCHEMATHESIS_JUNIT, remote, ""))
    (artifacts / "gitleaks-junit.xml").write_bytes(document(GITLEAKS_JUNIT, xxe, entity))
    (artifacts / "trivy.junit.xml").write_bytes(document(TRIVY_JUNIT, LAUGHS, "&lol9;"))
    (artifacts / "gosec.json").write_bytes((SAMPLES / "gosec" / "gosec.json").read_bytes())
    out = tmp_path / "out"

    with time_limit(60):
        result = run_cli(["aggregate", str(artifacts), "--out", str(out)])
    assert result.exit_code == 0

    report = load_json(out / "findings.json")
    runs = {Path(run["artifact"]).name: run for run in report["runs"]}
    skipped = {Path(s["path"]).name: s["reason"] for s in report["skipped"]}
    assert runs["zap-report.xml"]["status"] == "failed"
    assert "DTD" in runs["zap-report.xml"]["error"]
    assert runs["schemathesis-junit.xml"]["status"] == "failed"
    assert "DTD" in runs["schemathesis-junit.xml"]["error"]
    assert skipped["gitleaks-junit.xml"].startswith("gitleaks JUnit report: not read")
    assert skipped["trivy.junit.xml"].startswith("trivy JUnit template output: not read")
    assert runs["gosec.json"]["status"] == "ok" and runs["gosec.json"]["findings"] > 0
    assert "DTD" in result.stdout

    written = [p.read_text(encoding="utf-8") for p in out.iterdir()]
    assert_nothing_was_read(bait, listener, result.output, *written)
    assert_listener_works(listener)


@pytest.mark.parametrize(
    ("tool", "name"),
    [
        ("schemathesis", "gitleaks-junit.xml"),
        ("zap", "trivy.junit.xml"),
        ("gitleaks", "gitleaks-junit.xml"),
        ("trivy", "trivy.junit.xml"),
    ],
)
def test_junit_exports_forced_through_any_parser_are_never_expanded(
    tool: str, name: str, tmp_path: Path, bait: Bait, listener: Listener
) -> None:
    template = GITLEAKS_JUNIT if name.startswith("gitleaks") else TRIVY_JUNIT
    doctype, payload = attacks(bait, listener.url)["external entity (FIFO)"]
    forced = tmp_path / name
    forced.write_bytes(document(template, doctype, payload))
    out = tmp_path / "out"
    with time_limit(60):
        result = run_cli(["aggregate", "--input", f"{tool}={forced}", "--out", str(out)])
    assert result.exit_code == 0
    (run,) = load_json(out / "findings.json")["runs"]
    assert run["status"] == "failed" and run["error"]
    written = [p.read_text(encoding="utf-8") for p in out.iterdir()]
    assert_nothing_was_read(bait, listener, result.output, *written)
