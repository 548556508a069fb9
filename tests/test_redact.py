"""The redactor hides every common credential shape and leaves ordinary code alone."""

from __future__ import annotations

import pytest

from hardening import redact as redact_module
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


# --- screening paths and URLs ----------------------------------------------------------------


def test_a_path_segment_of_a_known_token_shape_is_masked() -> None:
    from hardening.redact import screen_path

    token = "ghp_" + "Ut5Ro2Ie8Wq4Pa1Sd7Fg3Hj6Kl9Zx0Cv2Bn"
    assert screen_path(f"config/{token}.json") == "config/[REDACTED].json"


def test_content_hashed_names_and_commit_ids_in_paths_stay() -> None:
    from hardening.redact import screen_path

    for path in (
        "static/js/main.8f14e45fceea167a5a36dedd4bea2543.chunk.js",
        "builds/0123456789abcdef0123456789abcdef01234567/cmd/main.go",
        "assets/index-B7xQz9Lk.css",
        "src/password_reset.go",
    ):
        assert screen_path(path) == path


def test_a_url_password_in_a_normalized_path_is_masked() -> None:
    from hardening.redact import screen_path

    assert screen_path("https:/ci:Vq8Lz3Np6Rt1Ws4Xy7Km@gitlab.example.com/a.go") == (
        "https:/ci:[REDACTED]@gitlab.example.com/a.go"
    )


def test_a_percent_encoded_url_password_in_a_purl_is_masked() -> None:
    from hardening.redact import screen_url

    purl = "pkg:golang/x/lib@v1?repository_url=https%3A%2F%2Fci%3AHp2Wd7Ks4Lm9Qz3Rt6Vn%40git.x"
    assert "Hp2Wd7Ks4Lm9Qz3Rt6Vn" not in screen_url(purl)
    assert screen_url("pkg:npm/%40scope/name@1.0.0") == "pkg:npm/%40scope/name@1.0.0"


# --- secrets one tool found, masked in another's text -----------------------------------------


def test_known_secrets_are_masked_exactly_longest_first() -> None:
    from hardening.redact import KnownSecrets

    known = KnownSecrets(["Pk7Mw2Qz9Xr4Lt", "Pk7Mw2Qz9Xr4Lt99", "Zz8Yy7Xx6Ww5", "short"])

    assert known.mask("a Pk7Mw2Qz9Xr4Lt99 b Pk7Mw2Qz9Xr4Lt c Zz8Yy7Xx6Ww5") == (
        "a [REDACTED] b [REDACTED] c [REDACTED]"
    )
    assert known.mask("short words stay, Pk7Mw2Qz9 too") == "short words stay, Pk7Mw2Qz9 too"


def test_known_secrets_take_one_search_per_text_whatever_their_number() -> None:
    import random
    import string
    import time

    from hardening.redact import KnownSecrets

    rng = random.Random(7)
    secrets = [
        "".join(rng.choices(string.ascii_letters + string.digits, k=24)) for _ in range(5000)
    ]
    known = KnownSecrets(secrets)
    texts = [
        f"message {i} about the handler quoting nothing secret at all" * 4 for i in range(20000)
    ]
    texts[1234] += secrets[4321]

    started = time.perf_counter()
    masked = [known.mask(text) for text in texts]
    elapsed = time.perf_counter() - started

    assert masked[1234].endswith("[REDACTED]")
    assert sum("[REDACTED]" in text for text in masked) == 1
    assert elapsed < 2.0  # 100 million str.find calls would take minutes


def test_nested_properties_repeated_by_many_findings_are_screened_once_and_stay_exact() -> None:
    # Issue 20: trivy's CVSS map and semgrep's OWASP list repeat across the findings of one
    # advisory or rule; the verdict is remembered per content, the redaction never weakened.
    clean = {"cvss_v3": {"nvd": 9.1, "redhat": 7.9}, "owasp": ["A03:2021 - Injection"]}
    before = len(redact_module._UNCHANGED)
    first = redact_module.screen_value(clean)
    again = redact_module.screen_value({**clean, "owasp": list(clean["owasp"])})
    assert first is clean and again["owasp"] == clean["owasp"]
    assert len(redact_module._UNCHANGED) == before + 1  # one entry for both
    leaked = {"owasp": ["A03:2021 - Injection"], "headers": {"auth": f"token {GITHUB}"}}
    for _ in range(3):
        screened = redact_module.screen_value(dict(leaked))
        assert GITHUB not in str(screened) and MASK in str(screened)
    # The same texts as a list and as a dict are different contents.
    as_list = {"k": ["auth", f"token {GITHUB}"]}
    assert GITHUB not in str(redact_module.screen_value(as_list))
    deeper = {"k": [[f"token {GITHUB}"]]}  # nests deeper: walked every time
    assert GITHUB not in str(redact_module.screen_value(deeper))


def test_the_nested_properties_verdicts_are_bounded() -> None:
    for n in range(redact_module._MAX_UNCHANGED + 100):
        redact_module.screen_value({"cwe": [f"CWE-{n}"]})
    assert len(redact_module._UNCHANGED) <= redact_module._MAX_UNCHANGED
    secret = {"cwe": [f"CWE-1 {AWS}"]}
    assert AWS not in str(redact_module.screen_value(secret))


def test_redact_each_is_redact_of_each_text() -> None:
    clean = ["https://nvd.nist.gov/vuln/detail/CVE-2024-1", "https://www.cve.org/x?id=1"]
    leaky = [*clean, "https://ci:" + "hunter2hunter2" + "@git.example.com/repo"]
    assert redact_module.redact_each(clean) == clean
    assert redact_module.redact_each(leaky) == [redact(text) for text in leaky]
    assert redact_module.redact_each(leaky)[2] != leaky[2]
    assert redact_module.redact_each([]) == []


def test_findings_sharing_properties_are_screened_as_one_by_one() -> None:
    """``screen_findings`` screens a properties dict findings share once: every finding
    ends with what screening it alone gives, a token masked in each."""
    from support import numbered_finding

    token = "ghp_" + "a1B2" * 9
    clean = {"cvss": {"nvd": 9.8}, "status": "fixed"}
    leaky = {"note": f"rotated {token}", "status": "fixed"}

    def batch() -> list:
        shared_clean, shared_leaky = dict(clean), dict(leaky)
        return [
            numbered_finding(n, properties=shared_clean if n % 2 else shared_leaky)
            for n in range(6)
        ]

    together, alone = batch(), batch()
    redact_module.screen_findings(together)
    for finding in alone:
        redact_module.screen_finding(finding)

    assert [f.properties for f in together] == [f.properties for f in alone]
    assert all(token not in str(f.properties) for f in together)
    assert together[0].properties == {"note": f"rotated {MASK}", "status": "fixed"}
    assert together[1].properties is together[3].properties  # unchanged: still shared
