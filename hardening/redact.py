"""The one redactor every snippet, message, evidence string, header and curl line passes through.

It knows the common token shapes and high-entropy values assigned to secret-like names.  It is
deliberately eager: a security summary that hides a little too much costs nothing, one that
shows a credential cannot be taken back.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import lru_cache

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


def _anchor(fragment: str) -> int:
    """Where the search for ``fragment`` starts: the index of its rarest character."""
    return min(range(len(fragment)), key=lambda i: _RARITY.find(fragment[i]))


def _hides(first: str, second: str) -> bool:
    """Whether a reported ``first`` can hide an occurrence of ``second``: the search reports
    non-overlapping matches from each fragment's anchor to its end, so an anchor of ``second``
    inside that span (or at the same place, where the other alternative won) goes unseen."""
    first_anchor, second_anchor = _anchor(first), _anchor(second)
    for shift in range(-len(second) + 1, len(first)):  # where second starts, from first's start
        overlap = range(max(shift, 0), min(len(first), shift + len(second)))
        if any(first[i] != second[i - shift] for i in overlap):
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
    labels: set[str] = set()
    for match in _FRAGMENT_SEARCH.finditer(lowered):
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
