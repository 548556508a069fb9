"""Deterministic generators of large scanner reports for the benchmarks (issue 8).

Each kind and size yields two files written side by side in one pass: a base report of exactly
that many findings and its "next" version, where about 5% of the findings are gone, 5% are new
and 20% have moved without changing identity.  What "moved" means follows what hardening's
fingerprints ignore:

- SARIF (generic, CodeQL-shaped) and semgrep: the same file, snippet and message a few lines
  up or down (identity: path + rule + snippet, or + message).
- trivy: the same vulnerability, package and target, from a rebuilt layer (new layer digest)
  and, where the package path holds no version, a newer still-vulnerable installed version.
- ZAP: the same rule, method, URL path template and param, with another numeric id in the
  path, another query string and other evidence.

Nothing is held at full size: results are rendered one at a time and streamed to both files.
The same seed, kind and size always give byte-identical files.

    python bench/generate.py --out /tmp/bench-data --sizes 10k,100k --kinds sarif,semgrep
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TextIO

KINDS = ("sarif", "sarif-props", "semgrep", "trivy", "zap")
EXTENSIONS = {
    "sarif": "sarif",
    "sarif-props": "sarif",
    "semgrep": "json",
    "trivy": "json",
    "zap": "json",
}
DEFAULT_SEED = 8
MANIFEST = "manifest.json"

#: Share of the base findings absent from "next", of "next" findings new, of common ones moved.
REMOVED_SHARE = 0.05
ADDED_SHARE = 0.05
MOVED_SHARE = 0.20

FILE_COUNT = 5000
RULES_PER_LANGUAGE = 75  # x 4 languages = 300 rules

_q = json.dumps  # JSON string literal of a str (the C encoder, no indentation)


# --- sizes ----------------------------------------------------------------------------------


def parse_size(text: str) -> int:
    """``10k`` -> 10000, ``1M`` -> 1000000, ``2500`` -> 2500."""
    cleaned = text.strip().lower().replace("_", "")
    factor = 1
    if cleaned.endswith("k"):
        factor, cleaned = 1_000, cleaned[:-1]
    elif cleaned.endswith("m"):
        factor, cleaned = 1_000_000, cleaned[:-1]
    value = int(float(cleaned) * factor)
    if value < 1:
        raise ValueError(f"size must be positive: {text!r}")
    return value


def size_label(size: int) -> str:
    """The inverse of :func:`parse_size` for round sizes: 10000 -> ``10k``."""
    if size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size % 1_000 == 0:
        return f"{size // 1_000}k"
    return str(size)


def report_paths(out: Path, kind: str, size: int) -> tuple[Path, Path]:
    """Where the base and next reports of one kind and size live."""
    ext = EXTENSIONS[kind]
    stem = f"{kind}-{size_label(size)}"
    return out / f"{stem}.{ext}", out / f"{stem}.next.{ext}"


# --- the plan: which finding goes where -------------------------------------------------------

COMMON, MOVED, REMOVED, ADDED = 0, 1, 2, 3


@dataclass(frozen=True)
class Plan:
    """Fate of each finding of the union of base and next, in report order."""

    fates: bytearray

    @classmethod
    def make(cls, size: int, rng: random.Random) -> Plan:
        removed = round(size * REMOVED_SHARE)
        added = round(size * ADDED_SHARE)
        union = size + added
        fates = bytearray(union)
        picked = rng.sample(range(union), removed + added)
        for index in picked[:added]:
            fates[index] = ADDED
        for index in picked[added:]:
            fates[index] = REMOVED
        common = [index for index in range(union) if fates[index] == COMMON]
        for index in rng.sample(common, round(len(common) * MOVED_SHARE)):
            fates[index] = MOVED
        return cls(fates)

    def __len__(self) -> int:
        return len(self.fates)

    def counts(self) -> dict[str, int]:
        return {name: self.fates.count(value) for name, value in _FATE_NAMES.items()}


_FATE_NAMES = {"common": COMMON, "moved": MOVED, "removed": REMOVED, "added": ADDED}


# --- streaming two files at once --------------------------------------------------------------


@dataclass
class _Frame:
    """An open JSON array (or group written lazily, on its first item)."""

    opener: str
    closer: Callable[[int], str]
    opened: bool
    count: int = 0


@dataclass
class Sink:
    """One output file: JSON arrays nested as frames, items separated by commas.

    A lazy frame (a ZAP alert, a trivy Result) is written only once an item lands in it, so a
    group whose findings all went missing from this file does not appear empty.
    """

    out: TextIO
    frames: list[_Frame] = field(default_factory=list)
    items: int = 0

    def write(self, text: str) -> None:
        self.out.write(text)

    def begin(self, opener: str, closer: Callable[[int], str], lazy: bool) -> None:
        if not lazy:
            self._open_parents()
            self._separate()
            self.write(opener)
        self.frames.append(_Frame(opener, closer, opened=not lazy))

    def end(self) -> None:
        frame = self.frames.pop()
        if frame.opened:
            self.write(frame.closer(frame.count))

    def item(self, text: str) -> None:
        self._open_parents()
        self._separate()
        self.write(text)
        self.items += 1

    def _open_parents(self) -> None:
        for depth, frame in enumerate(self.frames):
            if not frame.opened:
                if depth and self.frames[depth - 1].count:
                    self.write(",")
                if depth:
                    self.frames[depth - 1].count += 1
                self.write(frame.opener)
                frame.opened = True

    def _separate(self) -> None:
        if self.frames:
            top = self.frames[-1]
            if top.count:
                self.write(",")
            top.count += 1


@dataclass
class Pair:
    """The base and next files, written in one pass."""

    base: Sink
    next: Sink

    def write(self, text: str) -> None:
        self.base.write(text)
        self.next.write(text)

    def begin(
        self, opener: str, closer: Callable[[int], str] | str = "", lazy: bool = False
    ) -> None:
        close = closer if callable(closer) else _constant(closer)
        self.base.begin(opener, close, lazy)
        self.next.begin(opener, close, lazy)

    def end(self) -> None:
        self.base.end()
        self.next.end()

    def item(self, base_text: str | None, next_text: str | None) -> None:
        if base_text is not None:
            self.base.item(base_text)
        if next_text is not None:
            self.next.item(next_text)

    def emit(self, fate: int, render: Callable[[bool], str]) -> None:
        """Write one finding per its fate; ``render(moved)`` gives its text."""
        if fate == COMMON:
            text = render(False)
            self.item(text, text)
        elif fate == MOVED:
            self.item(render(False), render(True))
        elif fate == REMOVED:
            self.item(render(False), None)
        else:
            self.item(None, render(False))


def _constant(text: str) -> Callable[[int], str]:
    return lambda _count: text


# --- vocabulary -------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


_QUALIFIERS = _words(
    "pending active cached current default draft expired external final first incoming "
    "initial inner last legacy local merged nested next old outer parsed partial primary "
    "raw recent remote resolved retry scoped selected shared signed sorted stale staged "
    "target temp trusted unsafe updated upstream user valid visible weekly"
)
_NOUNS = _words(
    "account address amount archive asset audit batch bucket buffer cart catalog channel "
    "charge claim client column comment config contract coupon customer device document "
    "entry event export filter invoice item ledger limit member message order owner page "
    "payload payment policy price profile query quota record refund region report request "
    "review route schedule segment shipment sku tenant ticket"
)
_SUFFIXES = _words(
    "id ids name names path url list map count total value values data body input params "
    "filter query slug ref refs spec row rows text label kind code mode state status "
    "field fields index offset range set opts args form attr attrs info meta hint note"
)
_COMBINATIONS = len(_QUALIFIERS) * len(_NOUNS) * len(_SUFFIXES)


def identifier(index: int) -> str:
    """A distinct, readable camelCase identifier per index (``staleInvoiceRows``)."""
    qualifier = _QUALIFIERS[index % len(_QUALIFIERS)]
    rest = index // len(_QUALIFIERS)
    noun = _NOUNS[rest % len(_NOUNS)]
    rest //= len(_NOUNS)
    suffix = _SUFFIXES[rest % len(_SUFFIXES)].replace("_", " ").title().replace(" ", "")
    name = f"{qualifier}{noun.title()}{suffix}"
    extra = index // _COMBINATIONS
    return f"{name}{extra}" if extra else name


def slug(index: int) -> tuple[str, str, str]:
    """Three distinct-per-index URL path words (no digits: a path template keeps them)."""
    return (
        _NOUNS[index % len(_NOUNS)],
        _QUALIFIERS[(index // len(_NOUNS)) % len(_QUALIFIERS)],
        "-".join(
            [
                _SUFFIXES[(index // (len(_NOUNS) * len(_QUALIFIERS))) % len(_SUFFIXES)],
                *(_NOUNS[digit] for digit in _digits(index // _COMBINATIONS, len(_NOUNS))),
            ]
        ).replace("_", "-"),
    )


def _digits(value: int, base: int) -> list[int]:
    digits: list[int] = []
    while value:
        value, digit = divmod(value, base)
        digits.append(digit)
    return digits


def short_hash(*parts: object, size: int = 8) -> str:
    """Deterministic hex digest of ``size`` bytes (fake commit ids, line hashes, digests)."""
    text = "\x1f".join(str(part) for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=size).hexdigest()


# --- source tree and rules for SARIF and semgrep ----------------------------------------------


@dataclass(frozen=True)
class Language:
    name: str  # CodeQL / semgrep language key
    ext: str
    layout: str  # path template with {svc} {pkg} {name}


LANGUAGES = (
    Language("go", "go", "services/{svc}/internal/{pkg}/{name}.go"),
    Language("python", "py", "apps/{svc}/{pkg}/{name}.py"),
    Language("javascript", "ts", "web/{svc}/src/{pkg}/{name}.ts"),
    Language("java", "java", "platform/{svc}/src/main/java/com/acme/{pkg}/{Name}.java"),
)
_CODEQL_PREFIX = {"go": "go", "python": "py", "javascript": "js", "java": "java"}
_SERVICES = _words(
    "billing checkout catalog identity inventory ledger notifier orders payments pricing "
    "profiles reporting search shipping storefront support"
)


@dataclass(frozen=True)
class Concept:
    """One kind of issue: rule text, CWE, level and how a flagged line and message read."""

    slug: str
    title: str
    cwe: int
    level: str  # SARIF level: error | warning | note
    security_severity: str
    snippet: str  # {var} is the finding's identifier
    message: str


CONCEPTS = (
    Concept(
        "sql-injection",
        "Database query built from user-controlled sources",
        89,
        "error",
        "8.8",
        'rows, err := db.Query("SELECT * FROM orders WHERE ref = \'" + {var} + "\'")',
        "This query depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "command-line-injection",
        "Uncontrolled command line",
        78,
        "error",
        "9.8",
        'cmd := exec.Command("sh", "-c", "convert " + {var})',
        "This command line depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "path-injection",
        "Uncontrolled data used in path expression",
        22,
        "error",
        "7.5",
        "f, err := os.Open(filepath.Join(baseDir, {var}))",
        "This path depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "reflected-xss",
        "Reflected cross-site scripting",
        79,
        "error",
        "6.1",
        'w.Write([]byte("<div>" + {var} + "</div>"))',
        "Cross-site scripting vulnerability due to `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "request-forgery",
        "Uncontrolled data used in network request",
        918,
        "error",
        "9.1",
        "resp, err := http.Get(upstreamBase + {var})",
        "The URL of this request depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "log-injection",
        "Log entries created from user input",
        117,
        "warning",
        "7.8",
        'log.Printf("lookup failed for %s", {var})',
        "This log entry depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "weak-crypto-algorithm",
        "Use of a broken or weak cryptographic algorithm",
        327,
        "warning",
        "7.5",
        "sum := md5.Sum([]byte({var}))",
        "`{var}` is hashed with MD5, a broken or weak cryptographic algorithm.",
    ),
    Concept(
        "insecure-randomness",
        "Insecure randomness",
        338,
        "warning",
        "7.8",
        "{var} := rand.Intn(1 << 30)",
        "`{var}` is generated with an insecure source of randomness.",
    ),
    Concept(
        "open-redirect",
        "Open URL redirect",
        601,
        "error",
        "6.1",
        "http.Redirect(w, r, {var}, http.StatusFound)",
        "Untrusted URL redirection depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "unsafe-deserialization",
        "Deserialization of user-controlled data",
        502,
        "error",
        "9.8",
        "err := gob.NewDecoder(bytes.NewReader({var})).Decode(&state)",
        "Unsafe deserialization depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "xxe",
        "XML external entity expansion",
        611,
        "error",
        "9.1",
        "doc, err := xmlparser.Parse({var}, xmlparser.AllowDTD)",
        "XML parsing of `{var}` expands external entities from a [user-provided value](1).",
    ),
    Concept(
        "incomplete-sanitization",
        "Incomplete string escaping or encoding",
        116,
        "warning",
        "7.8",
        'safe := strings.Replace({var}, "\'", "\\\\\'", 1)',
        "This replaces only the first occurrence of the quote in `{var}`.",
    ),
    Concept(
        "missing-rate-limiting",
        "Missing rate limiting",
        770,
        "warning",
        "7.5",
        'router.HandleFunc("/api/" + {var}, expensiveHandler)',
        "This route handler for `{var}` performs a costly operation without rate limiting.",
    ),
    Concept(
        "uncontrolled-allocation-size",
        "Slice memory allocation with excessive size",
        789,
        "error",
        "7.5",
        "buf := make([]byte, {var})",
        "The size of this allocation depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "incorrect-integer-conversion",
        "Incorrect conversion between integer types",
        681,
        "warning",
        "8.1",
        "n := int32({var})",
        "Conversion of `{var}` from a 64-bit integer to a narrower type may overflow.",
    ),
    Concept(
        "regex-injection",
        "Regular expression injection",
        730,
        "error",
        "7.5",
        "re := regexp.MustCompile({var})",
        "This regular expression is constructed from `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "zipslip",
        "Arbitrary file access during archive extraction",
        22,
        "error",
        "7.5",
        "target := filepath.Join(dest, {var}.Name)",
        "Unsanitized archive entry `{var}` may write outside the destination directory.",
    ),
    Concept(
        "disabled-certificate-check",
        "Disabled TLS certificate check",
        295,
        "warning",
        "7.5",
        "{var} := &tls.Config{InsecureSkipVerify: true}",
        "TLS certificate verification is disabled for `{var}`.",
    ),
    Concept(
        "stack-trace-exposure",
        "Information exposure through a stack trace",
        209,
        "error",
        "5.4",
        "http.Error(w, string(debug.Stack()) + {var}, 500)",
        "This stack trace and `{var}` flow to an external user.",
    ),
    Concept(
        "cleartext-logging",
        "Clear-text logging of sensitive information",
        312,
        "error",
        "7.5",
        'logger.Info("customer", "record", {var})',
        "Sensitive data in `{var}` is logged here in clear text.",
    ),
    Concept(
        "email-injection",
        "Email content injection",
        640,
        "error",
        "9.8",
        'msg := []byte("Subject: " + {var} + "\\r\\n")',
        "Email content depends on `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "unvalidated-format-string",
        "Use of externally-controlled format string",
        134,
        "warning",
        "7.3",
        "fmt.Fprintf(w, {var}, args...)",
        "The format string `{var}` depends on a [user-provided value](1).",
    ),
    Concept(
        "template-injection",
        "Server-side template injection",
        1336,
        "error",
        "9.3",
        'tpl := template.Must(template.New("page").Parse({var}))',
        "This template is parsed from `{var}`, a [user-provided value](1).",
    ),
    Concept(
        "cookie-without-secure",
        "Cookie issued without the Secure attribute",
        614,
        "note",
        "5.0",
        "http.SetCookie(w, &http.Cookie{Name: {var}, HttpOnly: true})",
        "The cookie named by `{var}` is sent without the Secure attribute.",
    ),
    Concept(
        "hardcoded-host",
        "Hard-coded upstream host",
        547,
        "note",
        "3.1",
        '{var} := "http://inventory.internal.acme.example:8080/v2"',
        "`{var}` pins an upstream host in code instead of configuration.",
    ),
)
_FLAVOURS = ("", "-remote", "-local")
assert len(CONCEPTS) * len(_FLAVOURS) == RULES_PER_LANGUAGE


@dataclass(frozen=True)
class Rule:
    index: int
    language: Language
    concept: Concept
    flavour: str

    @property
    def codeql_id(self) -> str:
        return f"{_CODEQL_PREFIX[self.language.name]}/{self.concept.slug}{self.flavour}"

    @property
    def semgrep_id(self) -> str:
        framework = {"go": "net-http", "python": "flask", "javascript": "express", "java": "spring"}
        category = self.concept.slug.replace("-", "_")
        flavour = self.flavour.lstrip("-") or "audit"
        return (
            f"{self.language.name}.{framework[self.language.name]}.security.{flavour}."
            f"{category}.{self.concept.slug}{self.flavour}"
        )


def make_rules() -> list[Rule]:
    rules: list[Rule] = []
    for language in LANGUAGES:
        for concept in CONCEPTS:
            for flavour in _FLAVOURS:
                rules.append(Rule(len(rules), language, concept, flavour))
    return rules


def make_files(rng: random.Random, count: int = FILE_COUNT) -> list[tuple[str, Language]]:
    """``count`` distinct source paths across services, languages and packages, sorted."""
    seen: dict[str, Language] = {}
    while len(seen) < count:
        language = LANGUAGES[rng.randrange(len(LANGUAGES))]
        name = f"{rng.choice(_QUALIFIERS)}_{rng.choice(_NOUNS)}"
        path = language.layout.format(
            svc=rng.choice(_SERVICES),
            pkg=rng.choice(_NOUNS),
            name=name,
            Name=name.replace("_", " ").title().replace(" ", ""),
        )
        seen.setdefault(path, language)
    return sorted(seen.items())


def spread(total: int, weights: Sequence[float]) -> list[int]:
    """Split ``total`` into integer parts proportional to ``weights`` (exact sum)."""
    whole = sum(weights)
    parts: list[int] = []
    running = 0.0
    assigned = 0
    for weight in weights:
        running += weight
        upto = round(total * running / whole)
        parts.append(upto - assigned)
        assigned = upto
    return parts


@dataclass(frozen=True)
class CodeFinding:
    """What SARIF and semgrep results share: where, which rule, which flagged line."""

    index: int
    path: str
    rule: Rule
    line: int
    column: int
    var: str

    @property
    def snippet(self) -> str:
        return "\t" + self.rule.concept.snippet.replace("{var}", self.var)

    @property
    def message(self) -> str:
        return self.rule.concept.message.replace("{var}", self.var)

    def shifted(self, rng: random.Random) -> int:
        """The line number in "next": a few lines up or down, never the same."""
        return self.line + rng.choice((-3, -2, -1, 1, 2, 3, 4, 5))


def code_findings(
    plan: Plan, rng: random.Random, files: list[tuple[str, Language]]
) -> Iterator[tuple[int, CodeFinding]]:
    """The union of base and next code findings, sorted by path and line, with their fates."""
    rules_by_language: dict[str, list[Rule]] = {}
    for rule in make_rules():
        rules_by_language.setdefault(rule.language.name, []).append(rule)
    # Some files hold many findings, most a few: a skewed but seeded spread.
    per_file = spread(len(plan), [rng.paretovariate(1.5) for _ in files])
    index = 0
    for (path, language), count in zip(files, per_file, strict=True):
        rules = rules_by_language[language.name]
        line = rng.randint(1, 40)
        for _ in range(count):
            line += rng.randint(9, 40)  # > twice the largest shift, so moved lines keep their order
            finding = CodeFinding(
                index=index,
                path=path,
                rule=rules[min(int(rng.expovariate(0.05)), len(rules) - 1)],
                line=line,
                column=rng.choice((5, 9, 13, 17)),
                var=identifier(index),
            )
            yield plan.fates[index], finding
            index += 1


# --- SARIF ------------------------------------------------------------------------------------


def _sarif_rule(rule: Rule) -> dict[str, Any]:
    concept = rule.concept
    where = {"": "", "-remote": " (remote sources)", "-local": " (local sources)"}[rule.flavour]
    cwe = f"external/cwe/cwe-{concept.cwe:03d}"
    return {
        "id": rule.codeql_id,
        "name": rule.codeql_id,
        "shortDescription": {"text": concept.title + where},
        "fullDescription": {
            "text": f"{concept.title}{where} can let an attacker change what the program does; "
            "validate or encode the value where it enters the program."
        },
        "defaultConfiguration": {"enabled": True, "level": concept.level},
        "help": {
            "text": f"# {concept.title}\n\nValues that reach this sink without validation "
            f"allow CWE-{concept.cwe}. Validate input against an allow-list.\n",
            "markdown": f"# {concept.title}\n\nValues that reach this sink without validation "
            f"allow [CWE-{concept.cwe}](https://cwe.mitre.org/data/definitions/{concept.cwe}"
            ".html). Validate input against an allow-list.\n",
        },
        "properties": {
            "tags": ["security", cwe],
            "description": concept.title,
            "id": rule.codeql_id,
            "kind": "path-problem",
            "name": concept.title,
            "precision": "high",
            "problem.severity": concept.level,
            "security-severity": concept.security_severity,
        },
    }


def _sarif_result(finding: CodeFinding, line: int, properties: str) -> str:
    rule = finding.rule
    snippet = finding.snippet
    end_column = finding.column + len(snippet.strip())
    line_hash = short_hash(finding.path, snippet)
    return (
        f'{{"ruleId":{_q(rule.codeql_id)},"ruleIndex":{rule.index},'
        f'"level":"{rule.concept.level}","message":{{"text":{_q(finding.message)}}},'
        '"locations":[{"physicalLocation":{"artifactLocation":'
        f'{{"uri":{_q(finding.path)},"uriBaseId":"%SRCROOT%"}},'
        f'"region":{{"startLine":{line},"startColumn":{finding.column},"endLine":{line},'
        f'"endColumn":{end_column},"snippet":{{"text":{_q(snippet)}}}}}}}}}],'
        f'"partialFingerprints":{{"primaryLocationLineHash":"{line_hash}:1",'
        f'"primaryLocationStartColumnFingerprint":"{finding.column - 1}"}},'
        f'"properties":{properties}}}'
    )


def _sarif_properties(rule: Rule) -> str:
    """A result's ``properties`` as the benchmark's CodeQL-like SARIF writes them."""
    return f'{{"precision":"high","security-severity":"{rule.concept.security_severity}"}}'


def _sarif_tagged_properties(rule: Rule) -> str:
    """``properties`` as CodeQL-style and semgrep SARIF carry them on every result: tags with
    the CWE and OWASP links, a CWE list with its long title, the same texts on every result
    of the rule (issue 20's costly shape)."""
    concept = rule.concept
    properties = {
        "precision": "high",
        "security-severity": concept.security_severity,
        "tags": [
            "security",
            f"external/cwe/cwe-{concept.cwe:03d}",
            *(f"external/owasp/{item.split(' - ')[0].lower()}" for item in _OWASP[concept.level]),
            rule.language.name,
            f"{_CONFIDENCE[concept.level]} CONFIDENCE",
        ],
        "cwe": [f"CWE-{concept.cwe}: {concept.title}"],
        "owasp": _OWASP[concept.level],
        "confidence": _CONFIDENCE[concept.level],
    }
    return json.dumps(properties, separators=(",", ":"))


def _sarif_text(
    finding: CodeFinding, rng: random.Random, properties: dict[int, str], moved: bool
) -> str:
    line = finding.shifted(rng) if moved else finding.line
    return _sarif_result(finding, line, properties[finding.rule.index])


def write_sarif(
    pair: Pair,
    plan: Plan,
    rng: random.Random,
    properties: Callable[[Rule], str] = _sarif_properties,
) -> None:
    rules = make_rules()
    by_rule = {rule.index: properties(rule) for rule in rules}
    driver = {
        "name": "CodeQL",
        "organization": "GitHub",
        "semanticVersion": "2.19.3",
        "informationUri": "https://codeql.github.com",
        "rules": [_sarif_rule(rule) for rule in rules],
    }
    head = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
    }
    pair.write(json.dumps(head, separators=(",", ":"))[:-1])
    pair.write(f',"runs":[{{"tool":{{"driver":{json.dumps(driver, separators=(",", ":"))}}},')
    pair.write('"invocations":[{"executionSuccessful":true,"toolExecutionNotifications":[]}],')
    pair.begin('"results":[', "", lazy=False)
    for fate, finding in code_findings(plan, rng, make_files(rng)):
        pair.emit(fate, partial(_sarif_text, finding, rng, by_rule))
    pair.end()
    pair.write(
        '],"columnKind":"utf16CodeUnits",'
        '"properties":{"semmle.formatSpecifier":"sarif-latest"}}]}\n'
    )


def write_tagged_sarif(pair: Pair, plan: Plan, rng: random.Random) -> None:
    write_sarif(pair, plan, rng, _sarif_tagged_properties)


# --- semgrep ----------------------------------------------------------------------------------

_OWASP = {
    "error": ["A03:2021 - Injection", "A01:2017 - Injection"],
    "warning": ["A02:2021 - Cryptographic Failures", "A04:2021 - Insecure Design"],
    "note": ["A05:2021 - Security Misconfiguration"],
}
_SEMGREP_SEVERITY = {"error": "ERROR", "warning": "WARNING", "note": "INFO"}
_CONFIDENCE = {"error": "HIGH", "warning": "MEDIUM", "note": "LOW"}


def _semgrep_extra_tail(rule: Rule) -> str:
    """The part of ``extra`` after the message that depends on the rule only."""
    concept = rule.concept
    metadata = {
        "cwe": [f"CWE-{concept.cwe}: {concept.title}"],
        "owasp": _OWASP[concept.level],
        "references": [
            f"https://cwe.mitre.org/data/definitions/{concept.cwe}.html",
            f"https://owasp.org/Top10/{concept.slug}/",
        ],
        "category": "security",
        "technology": [rule.language.name],
        "subcategory": ["vuln" if concept.level == "error" else "audit"],
        "likelihood": _CONFIDENCE[concept.level],
        "impact": "HIGH" if concept.level == "error" else "MEDIUM",
        "confidence": _CONFIDENCE[concept.level],
        "license": "Semgrep Rules License v1.0. For more information visit "
        "semgrep.dev/legal/rules-license",
        "vulnerability_class": [concept.title],
        "source": f"https://semgrep.dev/r/{rule.semgrep_id}",
        "shortlink": f"https://sg.run/{short_hash(rule.semgrep_id, size=3)}",
    }
    return (
        f',"metadata":{json.dumps(metadata, separators=(",", ":"))},'
        f'"severity":"{_SEMGREP_SEVERITY[concept.level]}","fingerprint":"requires login",'
        '"lines":"requires login","is_ignored":false,"validation_state":"NO_VALIDATOR",'
        '"engine_kind":"OSS"}}'
    )


def _semgrep_result(finding: CodeFinding, line: int, tails: dict[int, str]) -> str:
    rule = finding.rule
    width = len(finding.snippet.strip())
    offset = line * 38 + finding.column  # about 38 bytes a line
    tail = tails.get(rule.index)
    if tail is None:
        tail = tails[rule.index] = _semgrep_extra_tail(rule)
    return (
        f'{{"check_id":{_q(rule.semgrep_id)},"path":{_q(finding.path)},'
        f'"start":{{"line":{line},"col":{finding.column},"offset":{offset}}},'
        f'"end":{{"line":{line},"col":{finding.column + width},"offset":{offset + width}}},'
        f'"extra":{{"message":{_q(finding.message)}{tail}'
    )


def _semgrep_text(
    finding: CodeFinding, rng: random.Random, tails: dict[int, str], moved: bool
) -> str:
    return _semgrep_result(finding, finding.shifted(rng) if moved else finding.line, tails)


def write_semgrep(pair: Pair, plan: Plan, rng: random.Random) -> None:
    tails: dict[int, str] = {}
    files = make_files(rng)
    pair.write('{"version":"1.95.0",')
    pair.begin('"results":[', "", lazy=False)
    for fate, finding in code_findings(plan, rng, files):
        pair.emit(fate, partial(_semgrep_text, finding, rng, tails))
    pair.end()
    scanned = json.dumps([path for path, _language in files], separators=(",", ":"))
    pair.write(f'],"errors":[],"paths":{{"scanned":{scanned}}},')
    pair.write('"engine_requested":"OSS","interfile_languages_used":[],"skipped_rules":[]}\n')


# --- trivy ------------------------------------------------------------------------------------

IMAGE = "registry.acme.example/platform/monolith"
IMAGE_TAG = "2024.11.3"
_TRIVY_SEVERITIES = (("CRITICAL", 9.1, 4), ("HIGH", 7.5, 3), ("MEDIUM", 5.3, 2), ("LOW", 3.1, 1))
_IMPACTS = (
    "a heap-based buffer overflow",
    "an out-of-bounds read",
    "a use-after-free",
    "uncontrolled recursion",
    "an integer overflow",
    "a NULL pointer dereference",
    "improper input validation",
    "inefficient regular expression complexity",
    "prototype pollution",
    "an infinite loop",
)
_VECTORS = (
    "a crafted archive",
    "a malformed header",
    "a specially crafted request",
    "an oversized document",
    "a deeply nested structure",
    "an invalid certificate chain",
)
_EFFECTS = (
    "cause a denial of service (memory exhaustion)",
    "execute arbitrary code",
    "read sensitive memory contents",
    "bypass intended access restrictions",
    "crash the process",
    "corrupt data written to disk",
)
#: Reference URLs of CVE ids only.
_CVE_REFERENCES = (
    "https://access.redhat.com/security/cve/{id}",
    "https://nvd.nist.gov/vuln/detail/{id}",
    "https://www.cve.org/CVERecord?id={id}",
    "https://security-tracker.debian.org/tracker/{id}",
)
_REFERENCE_HOSTS = (
    "https://ubuntu.com/security/notices/USN-{n}-1",
    "https://github.com/advisories/GHSA-{g}",
    "https://lists.debian.org/debian-lts-announce/2024/{m:02d}/msg000{n2:02d}.html",
    "https://security.netapp.com/advisory/ntap-2024{m:02d}{n2:02d}-0003/",
    "https://github.com/{pkg}/commit/{commit}",
)
_GHSA_ALPHABET = "23456789cfghjmpqrvwx"


@dataclass(frozen=True)
class Ecosystem:
    key: str  # trivy Type
    purl_type: str
    data_source: dict[str, str]
    versioned_path: bool  # the package path holds the version: a version bump is another path


_ECOSYSTEMS = {
    "debian": Ecosystem(
        "debian",
        "deb",
        {
            "ID": "debian",
            "Name": "Debian Security Tracker",
            "URL": "https://salsa.debian.org/security-tracker-team/security-tracker",
        },
        versioned_path=False,
    ),
    "node-pkg": Ecosystem(
        "node-pkg",
        "npm",
        {
            "ID": "ghsa",
            "Name": "GitHub Security Advisory npm",
            "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Anpm",
        },
        versioned_path=False,
    ),
    "python-pkg": Ecosystem(
        "python-pkg",
        "pypi",
        {
            "ID": "ghsa",
            "Name": "GitHub Security Advisory pip",
            "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Apip",
        },
        versioned_path=True,
    ),
    "jar": Ecosystem(
        "jar",
        "maven",
        {
            "ID": "ghsa",
            "Name": "GitHub Security Advisory Maven",
            "URL": "https://github.com/advisories?query=type%3Areviewed+ecosystem%3Amaven",
        },
        versioned_path=True,
    ),
    "gobinary": Ecosystem(
        "gobinary",
        "golang",
        {
            "ID": "govulndb",
            "Name": "The Go Vulnerability Database",
            "URL": "https://pkg.go.dev/vuln/",
        },
        versioned_path=False,
    ),
}
#: Packages known per ecosystem (each with its own vulnerabilities) and share of findings.
_CATALOG_SIZES = {"debian": 700, "node-pkg": 1500, "python-pkg": 600, "jar": 600, "gobinary": 300}
_LANG_SHARES = {"node-pkg": 0.5, "python-pkg": 0.2, "jar": 0.2, "gobinary": 0.1}
_OS_SHARE = 0.2


@dataclass(frozen=True)
class Package:
    ecosystem: Ecosystem
    name: str
    version: str
    fixed: str | None
    vulnerabilities: tuple[str, ...]

    def path_in(self, app: str) -> str:
        """``PkgPath`` of the package inside one app of the image ('' for OS packages)."""
        key = self.ecosystem.key
        if key == "node-pkg":
            return f"srv/{app}/node_modules/{self.name}/package.json"
        if key == "python-pkg":
            return (
                f"srv/{app}/.venv/lib/python3.11/site-packages/"
                f"{self.name.replace('-', '_')}-{self.version}.dist-info/METADATA"
            )
        if key == "jar":
            artifact = self.name.split(":", 1)[1]
            return f"opt/{app}/lib/{artifact}-{self.version}.jar"
        return ""

    def purl(self, version: str) -> str:
        key = self.ecosystem.key
        if key == "debian":
            return f"pkg:deb/debian/{self.name}@{version}?arch=amd64&distro=debian-12.7"
        if key == "jar":
            group, artifact = self.name.split(":", 1)
            return f"pkg:maven/{group}/{artifact}@{version}"
        return f"pkg:{self.ecosystem.purl_type}/{self.name}@{version}"


def _package_name(key: str, index: int) -> str:
    noun = _NOUNS[index % len(_NOUNS)]
    qualifier = _QUALIFIERS[(index // len(_NOUNS)) % len(_QUALIFIERS)]
    serial = index // (len(_NOUNS) * len(_QUALIFIERS))
    tail = str(serial) if serial else ""
    if key == "debian":
        return f"lib{noun}-{qualifier}{tail}"
    if key == "node-pkg":
        return f"@{qualifier}/{noun}{tail}" if index % 5 == 0 else f"{qualifier}-{noun}{tail}"
    if key == "python-pkg":
        return f"{noun}-{qualifier}{tail}"
    if key == "jar":
        return f"org.{noun}{tail}:{noun}-{qualifier}"
    return f"github.com/{noun}{tail}/{qualifier}-{noun}"


def _version(rng: random.Random, key: str) -> tuple[str, str]:
    """An installed version and the version that fixes it."""
    major, minor, patch = rng.randint(0, 9), rng.randint(0, 30), rng.randint(0, 20)
    if key == "debian":
        return (
            f"{major}.{minor}.{patch}-{rng.randint(1, 9)}",
            f"{major}.{minor}.{patch}-{rng.randint(10, 19)}+deb12u1",
        )
    if key == "gobinary":
        return f"v{major}.{minor}.{patch}", f"v{major}.{minor}.{patch + rng.randint(1, 5)}"
    return f"{major}.{minor}.{patch}", f"{major}.{minor + 1}.0"


def _bumped(version: str) -> str:
    """A newer installed version that is still vulnerable (a rebuilt image)."""
    head, _, last = version.rpartition(".")
    digits = "".join(ch for ch in last if ch.isdigit())
    rest = last[len(digits) :]
    return f"{head}.{int(digits or 0) + 1}{rest}" if head else version + ".1"


@dataclass
class VulnerabilityCatalog:
    """Vulnerability texts (~600-character descriptions), rendered once per id."""

    rendered: dict[str, str] = field(default_factory=dict)

    def block(self, vuln_id: str, package: Package) -> str:
        text = self.rendered.get(vuln_id)
        if text is None:
            text = self.rendered[vuln_id] = self._render(vuln_id, package)
        return text

    def _render(self, vuln_id: str, package: Package) -> str:
        rng = random.Random(vuln_id)
        severity, score, vendor = _TRIVY_SEVERITIES[min(int(rng.expovariate(0.9)), 3)]
        short = package.name.rsplit("/", 1)[-1].split(":")[-1]
        impact, vector, effect = rng.choice(_IMPACTS), rng.choice(_VECTORS), rng.choice(_EFFECTS)
        function = f"{rng.choice(_NOUNS)}_{rng.choice(_SUFFIXES)}"
        description = (
            f"A flaw was found in {short}. The {function}() function in {short} before "
            f"{package.fixed or 'the next release'} contains {impact} when it processes "
            f"{vector}. A remote, unauthenticated attacker who can supply input to an "
            f"application using the library could use this flaw to {effect}. The highest "
            "threat from this vulnerability is to system availability, although data "
            "confidentiality and integrity may also be affected depending on how the calling "
            f"application handles the failure. The issue was introduced when {function}() "
            "started to accept streamed input and affects all builds that enable the default "
            "feature set; distributions shipping a patched backport are not affected."
        )
        month, number = rng.randint(1, 12), rng.randint(1000, 7999)
        templates = _reference_templates(vuln_id)
        references = [
            template.format(
                id=vuln_id,
                n=number,
                n2=rng.randint(0, 40),
                m=month,
                g=_ghsa(rng),
                pkg=short,
                commit=short_hash(vuln_id, size=20),
            )
            for template in rng.sample(templates, rng.randint(4, min(8, len(templates))))
        ]
        cwe = rng.choice((20, 22, 79, 120, 125, 190, 400, 416, 476, 787, 835, 1321))
        body = {
            "Title": f"{short}: {impact} in {function}() via {vector}",
            "Description": description,
            "Severity": severity,
            "CweIDs": [f"CWE-{cwe}"],
            "VendorSeverity": {"ghsa": vendor, "nvd": vendor, "redhat": max(1, vendor - 1)},
            "CVSS": {
                "nvd": {
                    "V3Vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    "V3Score": score,
                },
                "redhat": {
                    "V3Vector": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H",
                    "V3Score": round(score - 1.2, 1),
                },
            },
            "References": references,
            "PublishedDate": f"2024-{month:02d}-{rng.randint(1, 28):02d}T15:15:00Z",
            "LastModifiedDate": f"2024-11-{rng.randint(1, 28):02d}T10:0{rng.randint(0, 9)}:00Z",
        }
        rendered = json.dumps(body, indent=2)[2:-2]  # the fields, without the braces
        return rendered.replace("\n", "\n        ")


def _reference_templates(vuln_id: str) -> tuple[str, ...]:
    if vuln_id.startswith("CVE-"):
        return _CVE_REFERENCES + _REFERENCE_HOSTS
    return (primary_url(vuln_id), *_REFERENCE_HOSTS)


def primary_url(vuln_id: str) -> str:
    """Where trivy points for an id: AVD for CVEs, the advisory's own page otherwise."""
    if vuln_id.startswith("GHSA-"):
        return f"https://github.com/advisories/{vuln_id}"
    if vuln_id.startswith("GO-"):
        return f"https://pkg.go.dev/vuln/{vuln_id}"
    return f"https://avd.aquasec.com/nvd/{vuln_id.lower()}"


def _ghsa(rng: random.Random) -> str:
    return "-".join("".join(rng.choice(_GHSA_ALPHABET) for _ in range(4)) for _ in range(3))


def make_catalog(rng: random.Random) -> dict[str, list[Package]]:
    catalog: dict[str, list[Package]] = {}
    serial = 0
    for key, count in _CATALOG_SIZES.items():
        packages = []
        for index in range(count):
            version, fixed = _version(rng, key)
            vulns = []
            for _ in range(1 + min(int(rng.expovariate(0.2)), 19)):
                serial += 1
                year = 2019 + serial % 6
                if key != "debian" and rng.random() < 0.1:
                    vulns.append(f"GHSA-{_ghsa(rng)}")
                elif key == "gobinary" and rng.random() < 0.3:
                    vulns.append(f"GO-{year}-{1000 + serial}")
                else:
                    vulns.append(f"CVE-{year}-{10000 + serial}")
            packages.append(
                Package(
                    _ECOSYSTEMS[key],
                    _package_name(key, index),
                    version,
                    fixed if rng.random() < 0.85 else None,
                    tuple(dict.fromkeys(vulns)),
                )
            )
        catalog[key] = sorted(packages, key=lambda package: package.name)
    return catalog


def app_name(index: int) -> str:
    service = _SERVICES[index % len(_SERVICES)]
    noun = _NOUNS[(index // len(_SERVICES)) % len(_NOUNS)]
    serial = index // (len(_SERVICES) * len(_NOUNS))
    return f"{service}-{noun}{serial or ''}"


@dataclass
class TrivyWriter:
    pair: Pair
    plan: Plan
    rng: random.Random
    catalog: dict[str, list[Package]]
    texts: VulnerabilityCatalog = field(default_factory=VulnerabilityCatalog)
    layers: list[str] = field(default_factory=list)
    position: int = 0  # next index into the plan

    def __post_init__(self) -> None:
        self.layers = [short_hash("layer", index, size=32) for index in range(14)]

    def write(self) -> None:
        union = len(self.plan)
        capacity = sum(len(package.vulnerabilities) for package in self.catalog["debian"])
        os_count = min(round(union * _OS_SHARE), capacity)
        lang_counts = dict(
            zip(_LANG_SHARES, spread(union - os_count, list(_LANG_SHARES.values())), strict=True)
        )
        self._head()
        self.pair.begin('\n  "Results": [', "\n  ]")
        self._os_result(os_count)
        for key in ("node-pkg", "python-pkg", "jar"):
            self._lang_result(key, lang_counts[key])
        self._go_binaries(lang_counts["gobinary"])
        self.pair.end()
        self.pair.write("\n}\n")

    def _head(self) -> None:
        head = {
            "SchemaVersion": 2,
            "Trivy": {"Version": "0.57.1"},
            "ReportID": "0193a1c4-5d6e-7f80-9a1b-2c3d4e5f6a7b",
            "CreatedAt": "2024-11-28T09:12:44.523117301Z",
            "ArtifactName": f"{IMAGE}:{IMAGE_TAG}",
            "ArtifactType": "container_image",
            "Metadata": {
                "Size": 2147483648,
                "OS": {"Family": "debian", "Name": "12.7"},
                "ImageID": "sha256:" + short_hash("image", size=32),
                "DiffIDs": ["sha256:" + layer for layer in self.layers],
                "RepoTags": [f"{IMAGE}:{IMAGE_TAG}"],
                "RepoDigests": [f"{IMAGE}@sha256:" + short_hash("digest", size=32)],
            },
        }
        self.pair.write(json.dumps(head, indent=2)[:-2] + ",")

    def _result_opener(self, target: str, result_class: str, kind: str) -> str:
        return (
            f'\n    {{\n      "Target": {_q(target)},\n      "Class": "{result_class}",'
            f'\n      "Type": "{kind}",\n      "Vulnerabilities": ['
        )

    def _take(self, limit: int) -> Iterator[int]:
        """Plan positions for the next ``limit`` findings."""
        end = self.position + limit
        while self.position < end:
            yield self.position
            self.position += 1

    def _os_result(self, count: int) -> None:
        target = f"{IMAGE}:{IMAGE_TAG} (debian 12.7)"
        self.pair.begin(self._result_opener(target, "os-pkgs", "debian"), "\n      ]\n    }", True)
        positions = self._take(count)
        for package in self.catalog["debian"]:
            for vuln_id in package.vulnerabilities:
                position = next(positions, None)
                if position is None:
                    break
                self._emit(position, package, vuln_id, "")
        self.pair.end()

    def _lang_result(self, key: str, count: int) -> None:
        label = {"node-pkg": "Node.js", "python-pkg": "Python", "jar": "Java"}[key]
        self.pair.begin(self._result_opener(label, "lang-pkgs", key), "\n      ]\n    }", True)
        for position, package, vuln_id, app in self._app_findings(key, count, (30, 120)):
            self._emit(position, package, vuln_id, package.path_in(app))
        self.pair.end()

    def _go_binaries(self, count: int) -> None:
        current: str | None = None
        for position, package, vuln_id, app in self._app_findings("gobinary", count, (8, 30)):
            if app != current:
                if current is not None:
                    self.pair.end()
                target = f"usr/local/bin/{app}"
                opener = self._result_opener(target, "lang-pkgs", "gobinary")
                self.pair.begin(opener, "\n      ]\n    }", True)
                current = app
            self._emit(position, package, vuln_id, "")
        if current is not None:
            self.pair.end()

    def _app_findings(
        self, key: str, count: int, packages_per_app: tuple[int, int]
    ) -> Iterator[tuple[int, Package, str, str]]:
        """Findings of the packages each app bundles, app after app, until ``count``."""
        catalog = self.catalog[key]
        positions = self._take(count)
        app = 0
        while True:
            chosen = self.rng.sample(range(len(catalog)), self.rng.randint(*packages_per_app))
            for index in sorted(chosen):
                package = catalog[index]
                for vuln_id in package.vulnerabilities:
                    position = next(positions, None)
                    if position is None:
                        return
                    yield position, package, vuln_id, app_name(app)
            app += 1

    def _emit(self, position: int, package: Package, vuln_id: str, package_path: str) -> None:
        layer = int(short_hash(package.name, package_path, size=2), 16) % len(self.layers)
        block = self.texts.block(vuln_id, package)

        def render(moved: bool) -> str:
            version = package.version
            layer_index = layer
            if moved:
                layer_index = (layer + 1) % len(self.layers)
                if not package.ecosystem.versioned_path:
                    version = _bumped(version)
            return self._vulnerability(package, vuln_id, package_path, version, layer_index, block)

        self.pair.emit(self.plan.fates[position], render)

    def _vulnerability(
        self,
        package: Package,
        vuln_id: str,
        package_path: str,
        version: str,
        layer: int,
        block: str,
    ) -> str:
        purl = package.purl(version)
        pad = "\n          "
        path_line = f'{pad}"PkgPath": {_q(package_path)},' if package_path else ""
        fixed = (
            f'{pad}"FixedVersion": {_q(package.fixed)},{pad}"Status": "fixed",'
            if package.fixed
            else f'{pad}"Status": "affected",'
        )
        source = package.ecosystem.data_source
        return (
            f'\n        {{{pad}"VulnerabilityID": "{vuln_id}",'
            f'{pad}"PkgID": {_q(package.name + "@" + version)},'
            f'{pad}"PkgName": {_q(package.name)},{path_line}'
            f'{pad}"PkgIdentifier": {{{pad}  "PURL": {_q(purl)},'
            f'{pad}  "UID": "{short_hash(purl, package_path)}"{pad}}},'
            f'{pad}"InstalledVersion": {_q(version)},{fixed}'
            f'{pad}"Layer": {{{pad}  "Digest": "sha256:{short_hash("blob", layer, size=32)}",'
            f'{pad}  "DiffID": "sha256:{self.layers[layer]}"{pad}}},'
            f'{pad}"SeveritySource": "{source["ID"]}",'
            f'{pad}"PrimaryURL": "{primary_url(vuln_id)}",'
            f'{pad}"DataSource": {{{pad}  "ID": "{source["ID"]}",{pad}  "Name": "{source["Name"]}",'
            f'{pad}  "URL": "{source["URL"]}"{pad}}},'
            f"{pad}{block}\n        }}"
        )


def write_trivy(pair: Pair, plan: Plan, rng: random.Random) -> None:
    TrivyWriter(pair, plan, rng, make_catalog(rng)).write()


# --- ZAP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ZapRule:
    pluginid: str
    alert_ref: str
    name: str
    risk: int  # 0 info .. 3 high
    confidence: int
    cwe: int
    wasc: int
    param: str | None  # the header or cookie every instance names; None: a form parameter
    attack: str
    evidence: str
    weight: float  # how common the alert is


_ZAP_RULES = (
    ZapRule(
        "10020",
        "10020-1",
        "Missing Anti-clickjacking Header",
        2,
        2,
        1021,
        15,
        "x-frame-options",
        "",
        "",
        6.0,
    ),
    ZapRule(
        "10021",
        "10021",
        "X-Content-Type-Options Header Missing",
        1,
        2,
        693,
        15,
        "x-content-type-options",
        "",
        "",
        8.0,
    ),
    ZapRule(
        "10038",
        "10038-1",
        "Content Security Policy (CSP) Header Not Set",
        2,
        3,
        693,
        15,
        "",
        "",
        "",
        6.0,
    ),
    ZapRule(
        "10035",
        "10035-1",
        "Strict-Transport-Security Header Not Set",
        1,
        3,
        319,
        15,
        "",
        "",
        "",
        5.0,
    ),
    ZapRule(
        "10036",
        "10036",
        'Server Leaks Version Information via "Server" HTTP Response Header Field',
        1,
        3,
        497,
        13,
        "",
        "",
        "nginx/1.25.3",
        5.0,
    ),
    ZapRule(
        "10037",
        "10037",
        'Server Leaks Information via "X-Powered-By" HTTP Response Header Field(s)',
        1,
        2,
        497,
        13,
        "",
        "",
        "X-Powered-By: Express",
        3.0,
    ),
    ZapRule(
        "10096", "10096", "Timestamp Disclosure - Unix", 0, 1, 497, 13, "", "", "1732784400", 3.0
    ),
    ZapRule(
        "10027",
        "10027",
        "Information Disclosure - Suspicious Comments",
        0,
        1,
        200,
        13,
        "",
        "",
        "TODO",
        2.0,
    ),
    ZapRule(
        "10015",
        "10015",
        "Re-examine Cache-control Directives",
        0,
        1,
        525,
        13,
        "cache-control",
        "",
        "no-cache",
        3.0,
    ),
    ZapRule(
        "10054",
        "10054-1",
        "Cookie without SameSite Attribute",
        1,
        2,
        1275,
        13,
        "cart_id",
        "",
        "Set-Cookie: cart_id",
        2.0,
    ),
    ZapRule(
        "10010",
        "10010",
        "Cookie No HttpOnly Flag",
        1,
        2,
        1004,
        13,
        "lang",
        "",
        "Set-Cookie: lang",
        1.5,
    ),
    ZapRule(
        "10098",
        "10098",
        "Cross-Domain Misconfiguration",
        2,
        2,
        264,
        14,
        "",
        "",
        "Access-Control-Allow-Origin: *",
        2.0,
    ),
    ZapRule(
        "10202",
        "10202",
        "Absence of Anti-CSRF Tokens",
        2,
        1,
        352,
        9,
        "",
        "",
        '<form action="/cart/update" method="POST">',
        2.0,
    ),
    ZapRule(
        "10063", "10063-1", "Permissions Policy Header Not Set", 1, 2, 693, 15, "", "", "", 4.0
    ),
    ZapRule(
        "90003",
        "90003",
        "Sub Resource Integrity Attribute Missing",
        2,
        3,
        345,
        15,
        "",
        "",
        '<script src="https://cdn.example.net/app.js"></script>',
        1.5,
    ),
    ZapRule(
        "90022",
        "90022",
        "Application Error Disclosure",
        1,
        2,
        550,
        13,
        "",
        "",
        "Internal Server Error",
        1.0,
    ),
    ZapRule(
        "40012",
        "40012",
        "Cross Site Scripting (Reflected)",
        3,
        2,
        79,
        8,
        None,
        "</p><scrIpt>alert(1);</scRipt><p>",
        "</p><scrIpt>alert(1);</scRipt><p>",
        0.6,
    ),
    ZapRule("40018", "40018", "SQL Injection", 3, 2, 89, 19, None, "' OR '1'='1' -- ", "", 0.4),
    ZapRule(
        "6",
        "6-2",
        "Path Traversal",
        3,
        2,
        22,
        33,
        None,
        "../../../../etc/passwd",
        "root:x:0:0",
        0.2,
    ),
    ZapRule(
        "90020", "90020", "Remote OS Command Injection", 3, 2, 78, 31, None, "&sleep 15&", "", 0.1
    ),
)
_ZAP_SITES = (
    ("https://shop.acme.example", "shop.acme.example", "443", "true"),
    ("https://api.acme.example", "api.acme.example", "443", "true"),
    ("https://admin.acme.example", "admin.acme.example", "443", "true"),
    ("http://legacy.acme.example:8080", "legacy.acme.example", "8080", "false"),
)
_FORM_PARAMS = ("q", "search", "sort", "filter", "redirect", "name", "comment", "page", "email")
_RISK = ("Informational", "Low", "Medium", "High")
_CONFIDENCE_WORD = ("False Positive", "Low", "Medium", "High")


def _zap_alert_opener(rule: ZapRule) -> str:
    pad = "\n\t\t\t\t\t"
    desc = (
        f"<p>{rule.name} was detected on this page. The response lacks the protection the "
        "rule checks for, which can let an attacker abuse the page in a browser or learn about "
        "the server.</p>"
    )
    return (
        f'\n\t\t\t\t{{{pad}"pluginid": "{rule.pluginid}",{pad}"alertRef": "{rule.alert_ref}",'
        f'{pad}"alert": {_q(rule.name)},{pad}"name": {_q(rule.name)},'
        f'{pad}"riskcode": "{rule.risk}",{pad}"confidence": "{rule.confidence}",'
        f'{pad}"riskdesc": "{_RISK[rule.risk]} ({_CONFIDENCE_WORD[rule.confidence]})",'
        f'{pad}"desc": {_q(desc)},{pad}"instances":['
    )


def _zap_alert_closer(rule: ZapRule) -> Callable[[int], str]:
    pad = "\n\t\t\t\t\t"
    solution = _q(f"<p>Change the server or application configuration to fix: {rule.name}.</p>")
    reference = _q(f"<p>https://www.zaproxy.org/docs/alerts/{rule.pluginid}/</p>")
    rest = (
        f'"solution": {solution},{pad}"otherinfo": "",{pad}"reference": {reference},'
        f'{pad}"cweid": "{rule.cwe}",{pad}"wascid": "{rule.wasc}",'
        f'{pad}"sourceid": "{(rule.risk + 1) * 7}"\n\t\t\t\t}}'
    )
    return lambda count: f'{pad}],{pad}"count": "{count}",{pad}{rest}'


def _zap_instance(site: str, rule: ZapRule, index: int, number: int | None, moved: bool) -> str:
    first, second, third = slug(index)
    section = ("catalog", "account", "orders", "content", "api/v2")[index % 5]
    path = f"/{section}/{first}/{second}/{third}"
    if number is not None:
        path += f"/{number + 7919 if moved else number}"
    query = f"?page={3 if moved else 1}&sort={'desc' if moved else 'asc'}" if index % 3 else ""
    method = "POST" if rule.param is None and index % 4 == 0 else "GET"
    param = rule.param if rule.param is not None else _FORM_PARAMS[index % len(_FORM_PARAMS)]
    evidence = rule.evidence
    if rule.pluginid == "10096":
        evidence = str(1732784400 + (index % 86400) + (3600 if moved else 0))
    elif moved and evidence:
        evidence += " "
    pad = "\n\t\t\t\t\t\t\t"
    return (
        f'\n\t\t\t\t\t\t{{{pad}"uri": {_q(site + path + query)},{pad}"method": "{method}",'
        f'{pad}"param": {_q(param)},{pad}"attack": {_q(rule.attack)},'
        f'{pad}"evidence": {_q(evidence)},{pad}"otherinfo": ""\n\t\t\t\t\t\t}}'
    )


def write_zap(pair: Pair, plan: Plan, rng: random.Random) -> None:
    pair.write(
        '{\n\t"@programName": "ZAP",\n\t"@version": "2.15.0",'
        '\n\t"@generated": "Thu, 28 Nov 2024 09:14:03",\n\t"site":['
    )
    groups = [(site, rule) for site in _ZAP_SITES for rule in _ZAP_RULES]
    weights = [rule.weight * rng.uniform(0.5, 1.5) for _site, rule in groups]
    position = 0
    current_site: tuple[str, str, str, str] | None = None
    pair.begin("", "")
    for (site, rule), count in zip(groups, spread(len(plan), weights), strict=True):
        if site != current_site:
            if current_site is not None:
                pair.end()
            name, host, port, ssl = site
            pair.begin(
                f'\n\t\t{{\n\t\t\t"@name": "{name}",\n\t\t\t"@host": "{host}",'
                f'\n\t\t\t"@port": "{port}",\n\t\t\t"@ssl": "{ssl}",\n\t\t\t"alerts": [ ',
                "\n\t\t\t]\n\t\t}",
                lazy=True,
            )
            current_site = site
        pair.begin(_zap_alert_opener(rule), _zap_alert_closer(rule), lazy=True)
        for _ in range(count):
            index = position
            number = rng.randint(100, 99999) if rng.random() < 0.6 else None
            pair.emit(plan.fates[position], partial(_zap_instance, site[0], rule, index, number))
            position += 1
        pair.end()
    if current_site is not None:
        pair.end()
    pair.end()
    pair.write("\n\t]\n}\n")


# --- command line -----------------------------------------------------------------------------

WRITERS: dict[str, Callable[[Pair, Plan, random.Random], None]] = {
    "sarif": write_sarif,
    "sarif-props": write_tagged_sarif,
    "semgrep": write_semgrep,
    "trivy": write_trivy,
    "zap": write_zap,
}


def generate(out: Path, kind: str, size: int, seed: int) -> dict[str, Any]:
    """Write one base/next pair; return its manifest entry."""
    rng = random.Random(f"{seed}:{kind}:{size}")
    base_path, next_path = report_paths(out, kind, size)
    started = time.perf_counter()
    plan = Plan.make(size, rng)
    buffer = 1 << 20
    with (
        open(base_path, "w", encoding="utf-8", buffering=buffer) as base_file,
        open(next_path, "w", encoding="utf-8", buffering=buffer) as next_file,
    ):
        pair = Pair(Sink(base_file), Sink(next_file))
        WRITERS[kind](pair, plan, rng)
    seconds = time.perf_counter() - started
    counts = plan.counts()
    if pair.base.items != size or pair.next.items != size - counts["removed"] + counts["added"]:
        raise RuntimeError(f"{kind} {size}: wrote {pair.base.items}/{pair.next.items} findings")
    return {
        "kind": kind,
        "size": size,
        "seed": seed,
        "base": base_path.name,
        "next": next_path.name,
        "base_findings": pair.base.items,
        "next_findings": pair.next.items,
        "base_bytes": base_path.stat().st_size,
        "next_bytes": next_path.stat().st_size,
        **counts,
        "seconds": round(seconds, 2),
    }


def load_manifest(out: Path) -> dict[str, dict[str, Any]]:
    path = out / MANIFEST
    if not path.exists():
        return {}
    data: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
    return data


def manifest_key(kind: str, size: int) -> str:
    return f"{kind}-{size_label(size)}"


def parse_list(text: str, allowed: Sequence[str]) -> list[str]:
    items = [item.strip() for item in text.split(",") if item.strip()]
    unknown = sorted(set(items) - set(allowed))
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown: {', '.join(unknown)} (known: {', '.join(allowed)})"
        )
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="folder for the reports")
    parser.add_argument("--sizes", default="10k,100k", help="findings per base report: 10k,100k,1M")
    parser.add_argument("--kinds", default=",".join(KINDS), help=",".join(KINDS))
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    kinds = parse_list(args.kinds, KINDS)
    sizes = [parse_size(text) for text in args.sizes.split(",") if text.strip()]
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = load_manifest(args.out)
    for size in sizes:
        for kind in kinds:
            entry = generate(args.out, kind, size, args.seed)
            manifest[manifest_key(kind, size)] = entry
            (args.out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", "utf-8")
            print(
                f"{entry['base']}: {entry['base_findings']:,} findings, "
                f"{entry['base_bytes'] / 2**20:,.1f} MiB; {entry['next']}: "
                f"{entry['next_findings']:,} findings (-{entry['removed']:,} +{entry['added']:,}"
                f" ~{entry['moved']:,} moved); {entry['seconds']:.1f} s",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
