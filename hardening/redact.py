"""The one redactor every snippet, message, evidence string, header and curl line passes through.

It knows the common token shapes and high-entropy values assigned to secret-like names.  It is
deliberately eager: a security summary that hides a little too much costs nothing, one that
shows a credential cannot be taken back.
"""

from __future__ import annotations

import math
import re
from collections import Counter

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
    ("auth-scheme", r"(?i)\b(?:bearer|basic)\s+(?P<v>[A-Za-z0-9_\-.~+/=]{8,})"),
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
_ASSIGNED_QUOTED = re.compile(
    r"(?i)\b[\w.\-]*" + _SECRET_NAME + r"[\w\-]*[\"']?\s*(?::=|=>|==|=|:)\s*"
    r"(?P<q>[\"'`])(?P<v>[^\"'`\r\n]{4,})(?P=q)"
)
_ASSIGNED_BARE = re.compile(
    r"(?i)\b[\w.\-]*" + _SECRET_NAME + r"[\w\-]*\s*(?::=|=|:)\s*(?P<v>[^\s\"'`,;&)(\]\[{}<>]{8,})"
)

_COMPILED = [(label, re.compile(pattern, re.DOTALL)) for label, pattern in _TOKEN_PATTERNS]

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
_CURL_SCREEN = re.compile(
    r"(?:^|\s)(?:-[HbuU]|--header|--cookie|--user|--proxy-user|--oauth2-bearer)[\s=]"
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


def redact(text: str) -> str:
    """Return ``text`` with every credential-shaped value replaced by ``[REDACTED]``."""
    if not text:
        return text
    if _CURL_SCREEN.search(text):
        text = _redact_command_line(text)
    if not _SCREEN.search(text.lower()):
        return text
    for _label, pattern in _COMPILED:
        text = pattern.sub(_mask_value, text)
    text = _ASSIGNED_QUOTED.sub(_mask_value, text)
    text = _ASSIGNED_BARE.sub(_mask_bare, text)
    return text


def redact_optional(text: str | None) -> str | None:
    return None if text is None else redact(text)


def mask_secret(secret: str) -> str:
    """What a secret-class finding may show of its secret: nothing but its length class."""
    return MASK if secret else ""


#: SAST rules about hard-coded credentials are secret-class: their snippet, match and
#: metavariables are never shown (CWE-798 hard-coded credentials, 259 hard-coded password,
#: 321 hard-coded cryptographic key).
CREDENTIAL_CWES = frozenset({"CWE-798", "CWE-259", "CWE-321"})


def is_credential_rule(identifiers: list[str]) -> bool:
    """Whether a SAST finding with these identifiers is about a hard-coded credential."""
    return any(identifier in CREDENTIAL_CWES for identifier in identifiers)
