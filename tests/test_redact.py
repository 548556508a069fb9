"""The redactor hides every common credential shape and leaves ordinary code alone."""

from __future__ import annotations

import pytest

from hardening.redact import MASK, is_credential_rule, redact

GITHUB = "ghp_" + "Zx8Kq2Lm9Np4Rs7Tv1Wy3Ab5Cd6Ef0Gh2Ij4"
AWS = "AKIA" + "Q7ZL4M2N8P3R5T6V"
SLACK = "xoxb-" + "2718281828-3141592653-Zq9Xw8Vu7Ts6Rp5"
GITLAB = "glpat-" + "Xq3Vn8Lp2Zr6Wt9Ks4Jm"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJjYW5hcnktdXNlciIsImlhdCI6MTcwMDAwMDAwMH0."
    "Qk7vM2xN9pL4rT8wZ1yB6cD3fG5hJ0kA"
)
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAcanary\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f'token := "{GITHUB}"', GITHUB),
        (f"aws_access_key_id = {AWS}", AWS),
        (f"slack: {SLACK}", SLACK),
        (f"GITLAB_TOKEN={GITLAB}", GITLAB),
        (f"key={GOOGLE}", GOOGLE),
        (f"cookie jar {JWT}", JWT),
        (KEY, "MIIEowIBAAKCAQEAcanary"),
        ("curl -H 'Authorization: Bearer s3cr3tBearerValue99' http://x", "s3cr3tBearerValue99"),
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("login with basic dXNlcjpwYXNz and go", "dXNlcjpwYXNz"),
        ("sent bearer abcdef123456 to the API", "abcdef123456"),
        ("Bearer tokenwith_underscore", "tokenwith_underscore"),
        ("-H 'Cookie: session=abc123def456ghi'", "session=abc123def456ghi"),
        ("-H 'X-API-Key: k3yV4lue-Canary-77'", "k3yV4lue-Canary-77"),
        ("https://deploy:Hunter2Canary@git.example.com/x.git", "Hunter2Canary"),
        ('password = "CorrectHorseCanary"', "CorrectHorseCanary"),
        ("DB_PASSWORD: Zr8!kQ2#vL9@mN4x", "Zr8!kQ2#vL9@mN4x"),
    ],
)
def test_credential_shapes_are_masked(text: str, secret: str) -> None:
    out = redact(text)
    assert secret not in out
    assert MASK in out


@pytest.mark.parametrize(
    "text",
    [
        "token := getToken(ctx)",
        "password = request.form['password']",
        "h := md5.New()",
        "Use of weak random number generator (math/rand instead of crypto/rand)",
        "Use basic authentication only over TLS",
        "Found a basic vulnerable dependency",
        "Basic Authentication is weak; prefer bearer token-based schemes",
    ],
)
def test_ordinary_code_is_left_alone(text: str) -> None:
    assert redact(text) == text


def test_credential_rules_are_recognised_by_cwe() -> None:
    assert is_credential_rule(["CWE-798"])
    assert not is_credential_rule(["CWE-79"])


@pytest.mark.parametrize(
    ("curl", "secret"),
    [
        ("curl -X GET --cookie 'sid=CookieCanary42' http://t/x", "CookieCanary42"),
        ("curl -b sid=CookieCanary43 http://t/x", "CookieCanary43"),
        ("curl -u admin:PassCanary44 http://t/x", "PassCanary44"),
        ("curl --oauth2-bearer BearerCanary45 http://t/x", "BearerCanary45"),
        ("curl -H 'X-Api-Key: abc' http://t/x", "abc' "),
        ("curl -H 'Cookie: a=1; s='\"'\"'SplitCanary46' http://t/x", "SplitCanary46"),
    ],
)
def test_curl_credential_forms_are_masked(curl: str, secret: str) -> None:
    assert secret not in redact(curl)
