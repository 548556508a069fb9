"""The one redactor every snippet, message, evidence string, header and curl line passes through.

It knows the common token shapes and high-entropy values assigned to secret-like names.  It is
deliberately eager: a security summary that hides a little too much costs nothing, one that
shows a credential cannot be taken back.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from functools import cache, lru_cache
from typing import Any
from urllib.parse import unquote

from hardening.model import CodeLocation, Finding, Report, ToolRun

MASK = "[REDACTED]"

# (label, pattern).  Each pattern matches the whole value to hide; where a prefix must stay
# readable (a header name, a URL user) the value is the named group "v".
_TOKEN_PATTERNS: list[tuple[str, str]] = [
    (
        "private-key",
        r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?:.*?-----END[ A-Z0-9]*PRIVATE KEY"
        r"(?: BLOCK)?-----|.*\Z)",
    ),
    ("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})"),
    (
        "gitlab-token",
        r"\b(?:glpat|gldt|glrt|glptt|glft|glsoat|glcbt|glimt|glagent|gloas)-[A-Za-z0-9_\-.]{20,}"
        r"|\bGR1348941[A-Za-z0-9_\-]{20,}",
    ),
    ("aws-key-id", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    ("slack-token", r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    ("slack-webhook", r"https://hooks\.slack\.com/(?:services|workflows)/[A-Za-z0-9/_+-]+"),
    ("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}"),
    ("google-oauth", r"\bya29\.[0-9A-Za-z_\-]{20,}"),
    ("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,}"),
    ("npm-token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    ("pypi-token", r"\bpypi-AgE[A-Za-z0-9_\-]{50,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*"),
    (
        "auth-header",
        r"(?i)\b(?:proxy-)?authorization\b[\"']?\s*[:=]\s*[\"']?(?P<v>(?:(?:bearer|basic|token|digest"
        r"|negotiate|apikey|aws4-hmac-sha256)\s+)?[^\s\"',;]+(?:[^\S\r\n]*,[^\s\"']+)*)",
    ),
    # A credential after "Bearer"/"Basic" outside a header: a token holds a digit, a capital
    # past its first letter or a symbol, a word ("basic authentication") does not.
    (
        "auth-scheme",
        r"(?i)\b(?:bearer|basic)\s+(?P<v>[A-Za-z0-9_\-.~+/=](?=(?-i:[a-z.\-]*[A-Z0-9_~+/=]))"
        r"[A-Za-z0-9_\-.~+/=]{7,})",
    ),
    (
        "cookie",
        r"(?i)\b(?:set-)?cookie\b[\"']?\s*:\s*[\"']?(?P<v>[^\r\n\"']+)",
    ),
    (
        "api-key-header",
        r"(?i)\b(?:x-)?(?:api[-_]?key|auth[-_]?token|access[-_]?token|private[-_]?token"
        r"|gitlab[-_]token|x-amz-security-token|session[-_]?token|csrf[-_]?token)\b[\"']?"
        r"\s*[:=]\s*[\"']?(?P<v>[^\s\"',;&]{4,})",
    ),
    ("url-credentials", r"(?i)\b[a-z][a-z0-9+.\-]*://[^/\s:@'\"]*:(?P<v>[^@\s/'\"]+)@"),
]

# Values assigned to secret-like names: quoted literals always, bare words when high-entropy.
_SECRET_NAME = (
    r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|client[_-]?secret|credentials?|auth[_-]?key|signing[_-]?key)"
)
# A quoted value ends at its own closing quote: other quotes and backslash escapes (a JSON
# body's ``"password": "a\"b"``) are part of the value, so no tail of it stays visible.
_ASSIGNED_QUOTED = re.compile(
    r"(?i)\b[\w.\-]*" + _SECRET_NAME + r"[\w\-]*[\"']?\s*(?::=|=>|==|=|:)\s*"
    r"(?:\"(?P<dq>(?:[^\"\\\r\n]|\\.){4,})\"|'(?P<sq>(?:[^'\\\r\n]|\\.){4,})'"
    r"|`(?P<bq>(?:[^`\\\r\n]|\\.){4,})`)"
)
_ASSIGNED_BARE = re.compile(
    r"(?i)\b[\w.\-]*" + _SECRET_NAME + r"[\w\-]*\s*(?::=|=|:)\s*(?P<v>[^\s\"'`,;&)(\]\[{}<>]{8,})"
)

_COMPILED = [(label, re.compile(pattern, re.DOTALL)) for label, pattern in _TOKEN_PATTERNS]

#: Lower-case fragments every match of a pattern holds: a pattern runs only on text holding
#: one of its fragments.  ("assigned" stands for the two secret-name assignment patterns.)
_FRAGMENTS: dict[str, tuple[str, ...]] = {
    "private-key": ("private key",),
    "github-token": ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    "gitlab-token": (
        "glpat-",
        "gldt-",
        "glrt-",
        "glptt-",
        "glft-",
        "glsoat-",
        "glcbt-",
        "glimt-",
        "glagent-",
        "gloas-",
        "gr1348941",
    ),
    "slack-token": ("xox",),
    "slack-webhook": ("hooks.slack",),
    "google-api-key": ("aiza",),
    "google-oauth": ("ya29.",),
    "stripe-key": ("_live_", "_test_"),
    "npm-token": ("npm_",),
    "pypi-token": ("pypi-",),
    "jwt": ("eyj",),
    "auth-header": ("authorization",),
    "auth-scheme": ("bearer", "basic"),
    "cookie": ("cookie",),
    "api-key-header": ("key", "token"),
    "url-credentials": ("@",),
    "assigned": ("pass", "pwd", "secret", "token", "key", "credential"),
}

# Cheap screen over the lower-cased text: text without any of these fragments needs no
# regex work at all.  (A case-sensitive search of lower-cased text is several times faster
# than a case-insensitive one.)
_SCREEN = re.compile(
    r"private key|gh[pousr]_|github_pat_|gl[a-z]{1,6}-|gr1348941"
    r"|a(?:kia|sia|gpa|ida|roa|npa|nva|ipa|bia|cca)|xox|hooks\.slack|aiza|ya29\.|_live_|_test_"
    r"|npm_|pypi-|eyj|authoriz|bearer|basic|cookie|key|token|@|pass|pwd|secret|credential"
)


# Credentials curl takes outside headers, so they are not header-shaped:
# ``-b/--cookie VALUE``, ``-u/--user USER:PASSWORD``, ``--oauth2-bearer TOKEN``.
_CURL_CREDENTIAL_OPTION = re.compile(
    r"(?P<opt>(?:^|\s)(?:-b|--cookie|-u|--user|--proxy-user|-U|--oauth2-bearer)(?:\s+|=))"
    r"(?P<v>'[^']*'|\"[^\"]*\"|\S+)"
)

# ``-H 'Name: value'`` in any quoting (a single-quoted value may embed ``'"'"'``): values of
# headers whose names say they carry credentials are masked whatever the value looks like.
_CURL_HEADER = re.compile(
    r"(?P<opt>(?:^|\s)(?:-H|--header)(?:\s+|=))"
    r"(?:'(?P<sq>(?:[^']|'\"'\"')*)'|\"(?P<dq>(?:[^\"\\]|\\.)*)\"|(?P<bare>\S+))"
)
_SENSITIVE_HEADER = re.compile(
    r"(?i)authori[sz]ation|cookie|api[-_]?key|token|secret|session|passw|credential|signature"
)
# An option of those (``(?:^|\s)`` before it, checked apart: a leading literal searches fast).
_CURL_OPTION = re.compile(r"-(?:[HbuU]|-header|-cookie|-user|-proxy-user|-oauth2-bearer)[\s=]")


def _has_curl_option(text: str) -> bool:
    if not _CURL_OPTION.search(text):
        return False
    # No option can hide another: inside a match only its last character may be a space.
    return any(
        (start := match.start()) == 0 or text[start - 1].isspace()
        for match in _CURL_OPTION.finditer(text)
    )


def _mask_curl_header(match: re.Match[str]) -> str:
    quote = "'" if match.group("sq") is not None else '"' if match.group("dq") is not None else ""
    header = match.group("sq") or match.group("dq") or match.group("bare") or ""
    name, colon, _value = header.partition(":")
    if not colon or not _SENSITIVE_HEADER.search(name):
        return match.group(0)
    separator = ": " if quote else ":"  # an unquoted header stays one shell word
    return f"{match.group('opt')}{quote}{name}{separator}{MASK}{quote}"


def _redact_command_line(text: str) -> str:
    """curl reproductions: credential headers in any quoting, cookies, users and bearers."""
    text = _CURL_HEADER.sub(_mask_curl_header, text)
    return _CURL_CREDENTIAL_OPTION.sub(lambda m: f"{m.group('opt')}'{MASK}'", text)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def _mask_quoted(match: re.Match[str]) -> str:
    """Mask the value of a quoted assignment, whichever quote it uses."""
    group = next(name for name in ("dq", "sq", "bq") if match.group(name) is not None)
    start, end = match.span(group)
    base = match.start(0)
    text = match.group(0)
    return text[: start - base] + MASK + text[end - base :]


def _mask_value(match: re.Match[str]) -> str:
    text = match.group(0)
    try:
        start, end = match.span("v")
    except IndexError:
        return MASK
    if start < 0:
        return MASK
    base = match.start(0)
    return text[: start - base] + MASK + text[end - base :]


def _mask_bare(match: re.Match[str]) -> str:
    value = match.group("v")
    if value == MASK or MASK in value:
        return match.group(0)
    # Code such as ``token = getToken`` is not a secret; high-entropy literals are.
    if entropy(value) < 3.0 or (
        re.fullmatch(r"[A-Za-z_][\w.]*", value) and not re.search(r"\d", value)
    ):
        return match.group(0)
    return _mask_value(match)


#: Characters from rarest to commonest in code and prose (roughly): each fragment is searched
#: from its rarest character, so the search stops at few places of a text.
_RARITY = "@jqzx_kv-b9876543210wypgfmcudlhrsnioate. "


@cache
def _anchor(fragment: str) -> int:
    """Where the search for ``fragment`` starts: the index of its rarest character."""
    return min(range(len(fragment)), key=lambda i: _RARITY.find(fragment[i]))


def _hides(first: str, second: str) -> bool:
    """Whether a reported ``first`` can hide an occurrence of ``second``: the search reports
    non-overlapping matches from each fragment's anchor to its end, so an anchor of ``second``
    inside that span (or at the same place, where the other alternative won) goes unseen."""
    first_anchor, second_anchor = _anchor(first), _anchor(second)
    for shift in range(-len(second) + 1, len(first)):  # where second starts, from first's start
        low, high = max(shift, 0), min(len(first), shift + len(second))
        if first[low:high] != second[low - shift : high - shift]:
            continue  # the two cannot occur there together
        anchor = shift + second_anchor
        if first_anchor < anchor < len(first) or (anchor == first_anchor and first != second):
            return True
    return False


def _fragment_index() -> tuple[re.Pattern[str], list[frozenset[str]]]:
    """One search for every fragment, and the patterns each of its alternatives calls for.

    Each fragment is one alternative (a capturing group, so ``lastindex`` names it), entered
    at its anchor character and checked backwards with a lookbehind.  A fragment also calls
    for the patterns of the fragments it can hide (see ``_hides``).
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for label, fragments in _FRAGMENTS.items():
        for fragment in fragments:
            wanted[fragment].add(label)
    by_anchor: dict[str, list[str]] = defaultdict(list)
    for fragment in sorted(wanted, key=len, reverse=True):
        by_anchor[fragment[_anchor(fragment)]].append(fragment)
    alternatives: list[str] = []
    labels_of_group = [frozenset[str]()]  # group numbers count from 1
    for anchor, anchored in by_anchor.items():
        groups = []
        for fragment in anchored:
            at = _anchor(fragment)
            behind = f"(?<={re.escape(fragment[: at + 1])})" if at else ""
            groups.append(f"({behind}{re.escape(fragment[at + 1 :])})")
            hidden = (wanted[other] for other in wanted if _hides(fragment, other))
            labels_of_group.append(frozenset(wanted[fragment].union(*hidden)))
        alternatives.append(f"{re.escape(anchor)}(?:{'|'.join(groups)})")
    return re.compile("|".join(alternatives)), labels_of_group


_FRAGMENT_SEARCH, _LABELS_OF_GROUP = _fragment_index()
_ALL_LABELS = frozenset({*_FRAGMENTS, "aws-key-id"})
# AWS key ids are matched case-sensitively: their upper-case prefix is a fast, exact test.
_AWS_PREFIX = re.compile(r"A(?:KIA|SIA|GPA|IDA|ROA|NPA|NVA|IPA|BIA|CCA)")
# The assignment patterns are slow (a name anywhere in a word): they run only where a secret
# name is followed by an assignment at all (a necessary part of both; lower-case text).
_ASSIGNMENT = re.compile(_SECRET_NAME + r"[\w\-]*[\"']?\s*(?::=|=>|==|=|:)")

_NO_LABELS: frozenset[str] = frozenset()
_AWS_LABELS = frozenset({"aws-key-id"})

_Substitution = tuple[str, re.Pattern[str], Callable[[re.Match[str]], str]]
_STEPS: list[_Substitution] = [
    *((label, pattern, _mask_value) for label, pattern in _COMPILED),
    ("assigned", _ASSIGNED_QUOTED, _mask_quoted),
    ("assigned", _ASSIGNED_BARE, _mask_bare),
]


def _labels_needed(text: str) -> frozenset[str]:
    """The patterns that can match a text, from the fragments its lower-cased form holds."""
    lowered = text.lower()
    if not lowered.isascii():
        # Case-insensitive matching folds some non-ASCII letters onto ASCII ones (the long
        # s, the Kelvin sign): no fragment test is exact there, so every pattern runs.
        return _ALL_LABELS if _SCREEN.search(lowered) else frozenset()
    # Most texts hold no fragment: one search tells, and only a text that holds one is
    # walked (from that first fragment on: a lookbehind still sees the text before it).
    first = _FRAGMENT_SEARCH.search(lowered)
    if first is None:  # only an AWS key id may be there (its test is case-sensitive)
        return _AWS_LABELS if "A" in text and _AWS_PREFIX.search(text) else _NO_LABELS
    labels: set[str] = set()
    for match in _FRAGMENT_SEARCH.finditer(lowered, first.start()):
        labels |= _LABELS_OF_GROUP[match.lastindex or 0]
    if "assigned" in labels and not _ASSIGNMENT.search(lowered):
        labels.discard("assigned")
    if "A" in text and _AWS_PREFIX.search(text):
        labels.add("aws-key-id")
    return frozenset(labels)


def redact(text: str) -> str:
    """Return ``text`` with every credential-shaped value replaced by ``[REDACTED]``."""
    if not text:
        return text
    return _redact(text)


@lru_cache(maxsize=8192)
def _redact(text: str) -> str:
    # Cached: reports repeat their texts (one advisory for many packages, one message for
    # many places), and equal inputs then share one output string.
    if "-" in text and _has_curl_option(text):
        text = _redact_command_line(text)
    labels = _labels_needed(text)
    if not labels:
        return text
    for label, pattern, mask in _STEPS:
        if label in labels:
            text = pattern.sub(mask, text)
    return text


#: A pydantic error location's step that may be shown: a field name of the model.
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]{0,39}")


def error_location(loc: Iterable[str | int], keys: re.Pattern[str] | None = None) -> str:
    """A validation error's location, safe to print: indexes and field-name-shaped steps as
    they are, any other key taken from the document (which may hold a secret or a newline)
    as ``<key>``; ``keys`` names document keys that may be shown (a baseline's fingerprints)."""
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part))
        elif (_FIELD_NAME.fullmatch(part) or (keys and keys.fullmatch(part))) and (
            redact(part) == part
        ):
            parts.append(part)
        else:
            parts.append("<key>")
    return ".".join(parts)


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


def mask_secret(secret: str) -> str:
    """What a secret-class finding may show of its secret: nothing but its length class."""
    return MASK if secret else ""


#: SAST rules about hard-coded credentials are secret-class: their snippet, match and
#: metavariables are never shown (CWE-798 hard-coded credentials, 259 hard-coded password,
#: 321 hard-coded cryptographic key).
CREDENTIAL_CWES = frozenset({"CWE-798", "CWE-259", "CWE-321"})


def is_credential_rule(identifiers: Iterable[str]) -> bool:
    """Whether a SAST finding with these identifiers is about a hard-coded credential."""
    return not CREDENTIAL_CWES.isdisjoint(identifiers)


# --- screening: paths, URLs, references, properties; whole findings and runs -----------------
#
# Parsers redact the texts they build (messages, snippets, evidence); what they pass through
# as it came (paths, URLs, references, purls, run properties) is screened here, once, for every
# parser, after fingerprints are computed: identity keeps the raw values, so screening never
# re-keys a finding.  A relayed findings.json (``screen_finding(..., relayed=True)``) is
# untrusted text as a whole: every text of it passes the redactor again.

#: The patterns of known token shapes (and credentials in URLs): what a path is screened for.
#: Not the assignments of secret-like names nor entropy, so content-hashed bundle names
#: (``main.3f9c2a1b.js``) and commit ids in paths stay as they are.
_PATH_LABELS = frozenset(
    {
        "private-key",
        "github-token",
        "gitlab-token",
        "aws-key-id",
        "slack-token",
        "slack-webhook",
        "google-api-key",
        "google-oauth",
        "stripe-key",
        "npm-token",
        "pypi-token",
        "jwt",
        "url-credentials",
    }
)


#: A URL's password in a path: path normalization folds ``https://`` into ``https:/``.
_PATH_USERINFO = re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*:/{1,2}[^/\s:@'\"]*:(?P<v>[^@\s/'\"]+)@")


#: Fragments one of the path patterns needs (lower-cased text; AWS ids are tested apart):
#: most paths and URLs hold none, and are then left without running any pattern.
_PATH_SCREEN = re.compile(
    r"private key|gh[pousr]_|github_pat_|gl[a-z]{1,6}-|gr1348941|xox|hooks\.slack|aiza|ya29\."
    r"|_live_|_test_|npm_|pypi-|eyj|@"
)
#: What else a URL may carry a credential in: a query, fragment or parameter value whose name
#: says so (lower-cased text).
_URL_VALUES = re.compile(r"[?#;&].*(?:key|token|pass|pwd|secret|credential|auth|sig|session)")


def _may_hold_token(text: str) -> bool:
    if not text.isascii():
        return True  # case folding is not exact beyond ASCII: let the patterns decide
    return bool(_PATH_SCREEN.search(text.lower())) or (
        "A" in text and _AWS_PREFIX.search(text) is not None
    )


#: Entries of the path and URL screens' caches.  A text that holds no fragment is answered in
#: about a microsecond anyway; the cache saves that for the texts reports repeat (one file's
#: many results, one page's alerts), which recent entries hold.  Each entry costs ~130 bytes
#: beside its text: at 65,536 entries, the 100k distinct URLs of a big ZAP report kept 8 MiB.
_SCREEN_CACHE = 4096


@lru_cache(maxsize=_SCREEN_CACHE)
def screen_path(path: str) -> str:
    """A path with every known token shape and URL password in it masked."""
    if not path or not _may_hold_token(path):
        return path
    labels = _labels_needed(path) & _PATH_LABELS
    if not labels:
        return path
    for label, pattern, mask in _STEPS:
        if label in labels:
            path = pattern.sub(mask, path)
    if "url-credentials" in labels:
        path = _PATH_USERINFO.sub(_mask_value, path)
    return path


@lru_cache(maxsize=_SCREEN_CACHE)
def screen_url(url: str) -> str:
    """A URL (or a reference, a purl) through the whole redactor, also where it is
    percent-encoded (a purl's ``repository_url`` qualifier): userinfo passwords, tokens and
    credential-named query values masked."""
    if not url or (not _may_hold_token(url) and not _URL_VALUES.search(url.lower())):
        return url
    screened = redact(url)
    if "%" in screened:
        decoded = unquote(screened)
        if decoded != screened and redact(decoded) != decoded:
            return redact(decoded)  # shown decoded: the credential masked matters more
    return screened


@lru_cache(maxsize=4096)
def _screen_urls(urls: tuple[str, ...]) -> tuple[str, ...]:
    joined = "\n".join(urls)  # one look at all of them: most hold nothing to screen
    if not _may_hold_token(joined) and not _URL_VALUES.search(joined.lower()):
        return urls
    return tuple(screen_url(url) for url in urls)


def screen_urls(urls: Sequence[str]) -> Sequence[str]:
    """References and the like, screened; an unchanged sequence is returned as it is (findings
    share their references, see ``Finding``)."""
    if not urls:
        return urls
    screened = _screen_urls(tuple(urls))
    if screened is urls:  # findings share their references: the common case, told at once
        return urls
    return urls if list(screened) == list(urls) else screened


@lru_cache(maxsize=4096)
def _screen_path_tuple(paths: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(screen_path(path) for path in paths)


def _screen_paths(paths: Sequence[str]) -> Sequence[str]:
    screened = _screen_path_tuple(tuple(paths))
    return paths if list(screened) == list(paths) else screened


_SCALARS = (int, float, bool, type(None))


def _texts(value: Any, into: list[str]) -> bool:
    """Collect the strings of a JSON-like value (keys too); False for a value of another kind."""
    if isinstance(value, str):
        into.append(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            into.append(str(key))
            if not isinstance(item, _SCALARS) and not _texts(item, into):
                return False
    elif isinstance(value, list | tuple):
        for item in value:
            if not isinstance(item, _SCALARS) and not _texts(item, into):
                return False
    elif not isinstance(value, _SCALARS):
        return False
    return True


def redact_each(texts: Sequence[str]) -> list[str]:
    """``redact`` of each text, after one look at all of them (an advisory's references, its
    title and description): most hold nothing for the redactor, and are then not redacted
    (nor remembered) one by one."""
    if not _may_need_redaction("\n".join(texts)):
        return list(texts)
    return [redact(text) for text in texts]


def _may_need_redaction(text: str) -> bool:
    """The redactor's own screen: False means ``redact(text) == text`` for sure."""
    if "-" in text and _has_curl_option(text):
        return True
    return bool(_SCREEN.search(text.lower())) or ("A" in text and bool(_AWS_PREFIX.search(text)))


def screen_value(value: Any) -> Any:
    """Any JSON-like value with every string in it redacted (keys too); the value itself when
    nothing in it changed, so unchanged dicts and lists are not copied."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        # Findings of one rule or advisory repeat the same properties: flat ones are screened
        # once (strings hash once), a copy made only when something changed.
        items = tuple(value.items())
        try:
            screened = _screen_flat(items)
        except TypeError:  # a nested value: not hashable
            return _screen_nested(value, items)
        return value if screened is None else dict(screened)
    return _screen_whole(value)


#: Properties dicts one level deep (a CVSS map, an OWASP list) whose texts need nothing:
#: findings of one advisory or rule repeat them (see ``_screen_nested``).
_UNCHANGED: dict[tuple[Any, ...], bool] = {}
_MAX_UNCHANGED = 8192


def _screen_nested(value: dict[Any, Any], items: tuple[tuple[Any, Any], ...]) -> Any:
    """A properties dict holding lists or dicts of plain values, screened once per distinct
    content: the verdict (nothing to redact, or not) is remembered under a hashable copy;
    a dict that needs redacting is screened again each time, as before."""
    frozen = _frozen(items)
    try:
        unchanged = _UNCHANGED.get(frozen) if frozen is not None else False
    except TypeError:  # a value nests deeper: walked every time
        unchanged, frozen = False, None
    if unchanged:
        return value
    screened = _screen_whole(value)
    if frozen is not None and unchanged is None and len(_UNCHANGED) < _MAX_UNCHANGED:
        _UNCHANGED[frozen] = screened is value
    return screened


def _frozen(items: tuple[tuple[Any, Any], ...]) -> tuple[Any, ...] | None:
    """``items`` with each list or dict value as a tuple, so equal contents hash equal (a
    value nesting deeper leaves it unhashable); None when a key is not a string.  A list and
    a dict of the same texts freeze differently (a dict's items are pairs)."""
    frozen: list[Any] = []
    for key, item in items:
        if type(key) is not str:
            return None
        if type(item) is list:
            item = (list, *item)
        elif type(item) is dict:
            if not all(type(name) is str for name in item):
                return None
            item = (dict, *item.items())
        frozen.append((key, item))
    return tuple(frozen)


@lru_cache(maxsize=8192)
def _screen_flat(items: tuple[tuple[Any, Any], ...]) -> tuple[tuple[Any, Any], ...] | None:
    """The items of a flat properties dict screened; None when nothing changed."""
    value = dict(items)
    screened = _screen_whole(value)
    return None if screened is value else tuple(screened.items())


def _screen_whole(value: Any) -> Any:
    texts: list[str] = []
    if _texts(value, texts) and not _may_need_redaction("\n".join(texts)):
        return value  # one look at all its texts: nothing there for the redactor
    return _screen_each(value)


def _screen_each(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, dict):
        items = [(redact(str(k)), _screen_each(v)) for k, v in value.items()]
        same = all(
            k == key and v == item for (k, v), (key, item) in zip(items, value.items(), strict=True)
        )
        return value if same else dict(items)
    if isinstance(value, list | tuple):
        screened = [_screen_each(item) for item in value]
        return value if screened == list(value) else screened
    return value


def _screen_location(location: CodeLocation, relayed: bool) -> None:
    location.path = screen_path(location.path)
    if relayed and location.snippet:
        location.snippet = redact(location.snippet)


#: Properties dicts ``screen_findings`` remembers screened, by the dict itself.
_MAX_SHARED_PROPERTIES = 4096


def screen_findings(findings: Iterable[Finding], *, relayed: bool = False) -> None:
    """``screen_finding`` of each finding; a properties dict that findings share (an
    advisory's, a rule's) is screened once."""
    shared: dict[int, tuple[dict[str, Any], Any]] = {}
    for finding in findings:
        screen_finding(finding, relayed=relayed, shared=shared)


def screen_finding(
    finding: Finding,
    *,
    relayed: bool = False,
    shared: dict[int, tuple[dict[str, Any], Any]] | None = None,
) -> None:
    """Screen a finding in place: its paths, URLs, references, purl, target and properties;
    with ``relayed`` (read from a findings.json, so no parser redacted it) every text.
    ``shared`` remembers screened properties dicts by their identity (each held, so its id
    stays its own) for the findings screened together."""
    if finding.location is not None:
        _screen_location(finding.location, relayed)
    for location in finding.related_locations:
        _screen_location(location, relayed)
    if finding.references:
        finding.references = screen_urls(finding.references)
    component = finding.component
    if component is not None:
        if component.purl:
            component.purl = screen_url(component.purl)
        if component.target:
            component.target = screen_url(component.target)
        if component.package_path:
            component.package_path = screen_path(component.package_path)
    endpoint = finding.endpoint
    if endpoint is not None:
        endpoint.url = screen_url(endpoint.url)
        if endpoint.param:
            endpoint.param = redact(endpoint.param)
    if finding.artifact:
        finding.artifact = screen_path(finding.artifact)
    if finding.artifacts:
        finding.artifacts = _screen_paths(finding.artifacts)
    properties = finding.properties
    if properties:
        known = shared.get(id(properties)) if shared is not None else None
        if known is not None:
            finding.properties = known[1]
        else:
            finding.properties = screen_value(properties)
            if shared is not None and len(shared) < _MAX_SHARED_PROPERTIES:
                shared[id(properties)] = (properties, finding.properties)
    if not relayed:
        return
    finding.title = redact(finding.title)
    finding.message = redact(finding.message)
    finding.rule_id = redact(finding.rule_id)
    if finding.tool_severity:
        finding.tool_severity = redact(finding.tool_severity)
    if finding.confidence:
        finding.confidence = redact(finding.confidence)
    if finding.identifiers:
        finding.identifiers = [redact(identifier) for identifier in finding.identifiers]
    if finding.commits:
        finding.commits = [redact(commit) for commit in finding.commits]
    if component is not None:
        component.name = redact(component.name)
        for name in ("installed_version", "fixed_version", "ecosystem", "status"):
            text = getattr(component, name)
            if text:
                setattr(component, name, redact(text))
    if finding.suppression is not None and finding.suppression.justification:
        finding.suppression.justification = redact(finding.suppression.justification)


#: Fields of a run that hold paths (screened as paths; every other text is redacted).
_RUN_PATH_FIELDS = frozenset({"artifact", "scanned_paths"})


def screen_run(run: ToolRun) -> None:
    """Screen every text of a run in place (error, warnings, properties, version, targets...):
    it is small, so all of it, whatever fields it grows."""
    for name in type(run).model_fields:
        value = getattr(run, name)
        if isinstance(value, StrEnum) or value is None:
            continue
        if name in _RUN_PATH_FIELDS:
            if isinstance(value, str):
                setattr(run, name, screen_path(value))
            elif isinstance(value, list):
                setattr(run, name, [screen_path(p) if isinstance(p, str) else p for p in value])
        elif isinstance(value, str | list | dict):
            setattr(run, name, screen_value(value))


def screen_report(report: Report) -> None:
    """Screen a whole report read from a findings.json (untrusted: hand-edited or foreign)."""
    for finding in report.findings:
        screen_finding(finding, relayed=True)
    for run in report.runs:
        screen_run(run)
    report.warnings = [redact(warning) for warning in report.warnings]
    for skipped in report.skipped:
        skipped.path = screen_path(skipped.path)
        skipped.reason = redact(skipped.reason)
    if report.link_base:
        report.link_base = screen_url(report.link_base)
    if report.changed_files:
        report.changed_files = [screen_path(path) for path in report.changed_files]
    report.path_settings.strip_prefixes = [
        screen_path(prefix) for prefix in report.path_settings.strip_prefixes
    ]
    if report.gate is not None:
        report.gate.summary = redact(report.gate.summary)
    for row in report.calibration:
        row.rule_id = redact(row.rule_id)
    if report.diff is not None:
        for name in ("baseline", "compare_to"):
            text = getattr(report.diff, name)
            if text:
                setattr(report.diff, name, screen_path(text))
    report.properties = screen_value(report.properties)


# --- a secret one tool found, quoted by another -------------------------------------------------

#: Shorter values are too likely to be ordinary words of other texts.
MIN_KNOWN_SECRET = 8


class KnownSecrets:
    """The exact secret values the run's secret scanners reported, masked wherever another
    finding quotes them (a semgrep message on the same line, a snippet, a ZAP evidence).

    One pass over each text, whatever the number of secrets: an index holds every k-gram of
    every secret (k is at most half the shortest secret), and a text is probed only at every
    k-th position, since an occurrence of a secret of length 2k-1 or more always covers one
    such aligned window.  Only the few secrets a probe names are then replaced (``str.replace``,
    longest first).  A regular expression of thousands of alternatives would try each of them
    at every position.  Held for the run only: never written.
    """

    def __init__(self, values: Iterable[str]) -> None:
        wanted = {v for v in values if len(v.strip()) >= MIN_KNOWN_SECRET and MASK not in v}
        self._shortest = min((len(v) for v in wanted), default=0)
        self._k = k = min(8, (self._shortest + 1) // 2)
        grams: dict[str, set[str]] = defaultdict(set)
        for value in wanted:
            for start in range(len(value) - k + 1):
                grams[value[start : start + k]].add(value)
        self._grams = {gram: tuple(found) for gram, found in grams.items()}

    def __bool__(self) -> bool:
        return bool(self._grams)

    def mask(self, text: str) -> str:
        if len(text) < self._shortest or not self._grams:
            return text
        k, grams = self._k, self._grams
        candidates: set[str] = set()
        for start in range(0, len(text) - k + 1, k):
            found = grams.get(text[start : start + k])
            if found:
                candidates.update(found)
        for secret in sorted(candidates, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def mask_value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.mask(value)
        if isinstance(value, dict):
            return {self.mask(str(k)): self.mask_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.mask_value(item) for item in value]
        return value

    def mask_finding(self, finding: Finding) -> None:
        mask = self.mask
        finding.title = mask(finding.title)
        finding.message = mask(finding.message)
        for location in (finding.location, *finding.related_locations):
            if location is not None:
                location.path = mask(location.path)
                if location.snippet:
                    location.snippet = mask(location.snippet)
        if finding.endpoint is not None:
            finding.endpoint.url = mask(finding.endpoint.url)
            if finding.endpoint.param:
                finding.endpoint.param = mask(finding.endpoint.param)
        if finding.suppression is not None and finding.suppression.justification:
            finding.suppression.justification = mask(finding.suppression.justification)
        if finding.references:
            masked = [mask(reference) for reference in finding.references]
            if masked != list(finding.references):
                finding.references = masked
        if finding.properties:
            properties = self.mask_value(finding.properties)
            if properties != finding.properties:
                finding.properties = properties

    def mask_run(self, run: ToolRun) -> None:
        for name in type(run).model_fields:
            value = getattr(run, name)
            if isinstance(value, str) and not isinstance(value, StrEnum):
                setattr(run, name, self.mask(value))
            elif isinstance(value, list | dict):
                setattr(run, name, self.mask_value(value))
