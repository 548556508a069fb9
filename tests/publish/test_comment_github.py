"""The comment bot on GitHub: one sticky issue comment per pull request, plus the job summary."""

from __future__ import annotations

import json
from pathlib import Path

from publish_fakes import GITHUB_TOKEN, FakeClock, FakeGitHub, OptionsFactory, changed, summary

from hardening.publish.forges import publish
from hardening.publish.github import DEFAULT_API, MAX_CHARS, github_target
from hardening.publish.interface import Action, CommentOptions, GitHubTarget, Skip
from hardening.render.markdown import MARKER

REPO = "/repos/acme/payments-api"
COMMENTS = f"{REPO}/issues/12/comments"
PR_URL = "https://github.com/acme/payments-api/pull/12"


def pull_request_event(tmp_path: Path, payload: object, name: str = "event.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(payload), encoding="utf-8")
    return str(path)


def env_for(server: FakeGitHub, tmp_path: Path, **changes: str | None) -> dict[str, str]:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_API_URL": server.base_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": pull_request_event(
            tmp_path, {"action": "synchronize", "number": 12, "pull_request": {"number": 12}}
        ),
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }
    return changed(env, changes)


def comment_url(comment_id: int) -> str:
    return f"{REPO}/issues/comments/{comment_id}"


# --- the sticky comment ------------------------------------------------------------------


def test_first_run_posts_a_new_comment(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    outcome = publish(summary("2 new high"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    assert outcome.exit_code == 0
    assert github_server.calls() == [("GET", COMMENTS), ("POST", COMMENTS)]
    listing, post = github_server.requests
    assert listing.query == {"per_page": "100"}
    assert post.headers["authorization"] == f"Bearer {GITHUB_TOKEN}"
    assert post.headers["accept"] == "application/vnd.github+json"
    assert post.body == {"body": f"{MARKER}\n## Hardening summary\n\n2 new high\n"}
    (comment,) = github_server.comments.values()
    assert outcome.where == comment["html_url"]


def test_an_earlier_comment_is_updated_in_place(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    earlier = github_server.add_comment(f"{MARKER}\nold", comment_id=501)

    outcome = publish(summary("new"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in github_server.writes()] == [("PATCH", comment_url(501))]
    assert earlier["body"] == summary("new")(0)
    assert outcome.where == f"{PR_URL}#issuecomment-501"


def test_an_unchanged_summary_writes_nothing(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    render = summary("same")
    github_server.add_comment(render(0).rstrip("\n"))  # trailing whitespace is not a change

    outcome = publish(render, options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.unchanged
    assert github_server.writes() == []


def test_of_several_copies_the_oldest_is_kept_and_the_others_deleted(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.add_comment(f"{MARKER}\nb", comment_id=7, created_at="2024-03-02T08:00:00Z")
    github_server.add_comment(f"{MARKER}\na", comment_id=9, created_at="2024-03-01T08:00:00Z")

    outcome = publish(summary("c"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.updated
    assert outcome.removed == 1
    assert [(r.method, r.path) for r in github_server.writes()] == [
        ("PATCH", comment_url(9)),
        ("DELETE", comment_url(7)),
    ]
    assert list(github_server.comments) == [9]


def test_comments_of_other_users_are_left_alone_even_with_the_marker(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    theirs = github_server.add_comment(f"{MARKER}\nquoted", login="alice", comment_id=3)

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    assert [r.method for r in github_server.writes()] == ["POST"]
    assert theirs["body"] == f"{MARKER}\nquoted"


def test_the_author_option_names_our_own_comments(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.add_comment(f"{MARKER}\nold", login="acme-hardening[bot]", comment_id=4)

    outcome = publish(
        summary("x"), options(author="acme-hardening[bot]"), env_for(github_server, tmp_path)
    )

    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in github_server.writes()] == [("PATCH", comment_url(4))]


def test_the_earlier_comment_is_found_beyond_the_first_page(
    clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    fake = FakeGitHub(max_per_page=2)
    for index in range(5):
        fake.add_comment(f"review {index}", login="alice")
    fake.add_comment(f"{MARKER}\nold", comment_id=42)  # the newest: on the last page
    with fake.running():
        outcome = publish(summary("new"), options(), env_for(fake, tmp_path))

    listings = [r for r in fake.requests if r.method == "GET"]
    assert [r.query.get("page", "1") for r in listings] == ["1", "2", "3"]
    assert all(r.query["per_page"] == "100" for r in listings)
    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in fake.writes()] == [("PATCH", comment_url(42))]


# --- retries -----------------------------------------------------------------------------


def test_rate_limit_is_retried_after_the_time_the_server_asks(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(429, method="POST", headers={"Retry-After": "2"})

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    assert clock.sleeps == [2.0]
    assert [r.method for r in github_server.writes()] == ["POST", "POST"]


def test_a_secondary_rate_limit_403_is_waited_out_not_explained(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(
        403,
        method="GET",
        headers={"Retry-After": "5"},
        body={"message": "You have exceeded a secondary rate limit."},
    )

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    assert clock.sleeps == [5.0]


def test_a_secondary_rate_limit_without_headers_waits_a_minute(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    # GitHub may name neither Retry-After nor X-RateLimit-*; its advice: wait at least 60 s.
    github_server.fail(
        403,
        method="POST",
        body={"message": "You have exceeded a secondary rate limit. Please wait a few minutes."},
    )

    outcome = publish(
        summary("x"),
        options(retry=clock.policy(budget=90.0)),
        env_for(github_server, tmp_path),
    )

    assert outcome.action is Action.created
    assert clock.sleeps == [60.0]


def test_a_secondary_rate_limit_beyond_the_budget_is_not_called_a_permission_problem(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(
        403, method="POST", body={"message": "You have exceeded a secondary rate limit."}
    )

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "asked to wait 60 s" in outcome.message
    assert "permissions" not in outcome.message
    assert clock.sleeps == []


def test_a_429_without_headers_waits_a_minute(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(429, method="GET")

    outcome = publish(
        summary("x"),
        options(retry=clock.policy(budget=90.0)),
        env_for(github_server, tmp_path),
    )

    assert outcome.action is Action.created
    assert clock.sleeps == [60.0]


def test_server_errors_are_retried_with_exponential_backoff(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(503, times=3)

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    assert clock.sleeps == [0.5, 1.0, 2.0]


def test_retries_stop_within_the_time_budget(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path
) -> None:
    github_server.fail(500, times=1000)

    outcome = publish(
        summary("x"),
        CommentOptions(retry=clock.policy(budget=6.0)),
        env_for(github_server, tmp_path),
    )

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert sum(clock.sleeps) <= 6.0
    assert "gave up after" in outcome.message


# --- failures ----------------------------------------------------------------------------


def test_forbidden_is_a_warning_that_names_the_fix(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(
        403, method="POST", body={"message": "Resource not accessible by integration"}
    )

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "permissions: pull-requests: write" in outcome.message
    assert clock.sleeps == []


def test_forbidden_fails_the_job_when_strict(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(403, method="POST")

    outcome = publish(summary("x"), options(strict=True), env_for(github_server, tmp_path))

    assert outcome.exit_code == 1


def test_an_invalid_token_is_explained_without_showing_it(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    wrong = "ghs_" + "Zz9" * 12
    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path, GITHUB_TOKEN=wrong))

    assert outcome.action is Action.failed
    assert "invalid or expired (HTTP 401)" in outcome.message
    assert wrong not in outcome.message


def test_an_unknown_pull_request_is_explained(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(pr=999), env_for(github_server, tmp_path))

    assert outcome.action is Action.failed
    assert outcome.message == (
        "GitHub found no pull request #999 in acme/payments-api, or the token cannot see it "
        "(HTTP 404)."
    )


def test_a_missing_token_is_a_warning(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path, GITHUB_TOKEN=None))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "GITHUB_TOKEN" in outcome.message
    assert github_server.requests == []


def test_server_text_never_carries_the_token(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    github_server.fail(422, method="POST", body={"message": f"Validation Failed {GITHUB_TOKEN}"})

    outcome = publish(summary("x"), options(), env_for(github_server, tmp_path))

    assert "HTTP 422 while creating the comment" in outcome.message
    assert GITHUB_TOKEN not in outcome.message


# --- size --------------------------------------------------------------------------------


def test_the_body_is_re_rendered_until_it_fits_githubs_limit(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    budgets: list[int] = []

    def render(max_chars: int) -> str:
        budgets.append(max_chars)
        return f"{MARKER}\n" + "y" * int(max_chars * 1.2)  # overshoots by a fifth

    outcome = publish(render, options(), env_for(github_server, tmp_path))

    assert outcome.action is Action.created
    posted = github_server.requests[-1].body["body"]
    assert len(posted) <= MAX_CHARS
    assert budgets[0] < MAX_CHARS
    assert len(budgets) >= 2


def test_a_body_within_budget_is_rendered_once(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    budgets: list[int] = []

    def render(max_chars: int) -> str:
        budgets.append(max_chars)
        return f"{MARKER}\n" + "z" * (max_chars - 100)

    publish(render, options(), env_for(github_server, tmp_path))

    assert len(budgets) == 1
    assert 60_000 < budgets[0] < MAX_CHARS


def test_a_body_that_never_fits_is_not_posted(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    outcome = publish(
        lambda _: MARKER + "x" * MAX_CHARS, options(), env_for(github_server, tmp_path)
    )

    assert outcome.action is Action.failed
    assert "over the platform's limit of 65,536" in outcome.message
    assert github_server.requests == []


# --- dry run, outside a pull request, the job summary ---------------------------------------


def test_dry_run_sends_nothing_and_writes_no_job_summary(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    step_summary = tmp_path / "step_summary.md"
    env = env_for(github_server, tmp_path, GITHUB_STEP_SUMMARY=str(step_summary))

    outcome = publish(summary("x"), options(dry_run=True), env)

    assert github_server.requests == []
    assert not step_summary.exists()
    assert outcome.action is Action.skipped
    assert outcome.where == PR_URL
    assert outcome.body == summary("x")(0)


def test_the_summary_is_appended_to_the_job_summary(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("# Earlier step\n", encoding="utf-8")
    env = env_for(github_server, tmp_path, GITHUB_STEP_SUMMARY=str(step_summary))

    outcome = publish(summary("x"), options(), env)

    assert step_summary.read_text(encoding="utf-8") == "# Earlier step\n" + summary("x")(0)
    assert outcome.action is Action.created
    assert "appended to the job summary" in outcome.message


def test_the_job_summary_is_written_even_when_the_comment_fails(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    step_summary = tmp_path / "step_summary.md"
    github_server.fail(403, method="POST")
    env = env_for(github_server, tmp_path, GITHUB_STEP_SUMMARY=str(step_summary))

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.failed
    assert step_summary.read_text(encoding="utf-8") == summary("x")(0)


def test_a_push_event_is_skipped_but_still_gets_the_job_summary(
    github_server: FakeGitHub, clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    step_summary = tmp_path / "step_summary.md"
    env = env_for(
        github_server,
        tmp_path,
        GITHUB_EVENT_NAME="push",
        GITHUB_EVENT_PATH=pull_request_event(tmp_path, {"ref": "refs/heads/main"}, "push.json"),
        GITHUB_REF="refs/heads/main",
        GITHUB_STEP_SUMMARY=str(step_summary),
    )

    outcome = publish(summary("x"), options(strict=True), env)

    assert outcome.action is Action.skipped
    assert outcome.exit_code == 0
    assert outcome.message.startswith("The push event is not about a pull request")
    assert github_server.requests == []
    assert step_summary.read_text(encoding="utf-8") == summary("x")(0)


def test_dry_run_outside_a_pull_request_still_shows_the_summary(
    clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_EVENT_PATH": pull_request_event(tmp_path, {"ref": "refs/heads/main"}),
    }

    outcome = publish(summary("x"), options(dry_run=True), env)

    assert outcome.action is Action.skipped
    assert outcome.message.startswith("Dry run: The push event is not about a pull request")
    assert outcome.body == summary("x")(0)


def test_outside_a_pull_request_without_job_summary_nothing_is_rendered(
    clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    def render(max_chars: int) -> str:
        raise AssertionError("must not render")

    env = {"GITHUB_ACTIONS": "true", "GITHUB_REPOSITORY": "acme/payments-api"}

    outcome = publish(render, options(), env)

    assert outcome.action is Action.skipped


# --- which pull request --------------------------------------------------------------------


def test_the_pull_request_comes_from_the_event_payload(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_PATH": pull_request_event(tmp_path, {"pull_request": {"number": 31}}),
        "GITHUB_TOKEN": GITHUB_TOKEN,
    }

    assert github_target(env, None) == GitHubTarget(
        api_url=DEFAULT_API,
        server_url="https://github.com",
        repository="acme/payments-api",
        number=31,
        token=GITHUB_TOKEN,
    )


def test_an_issue_comment_on_a_pull_request_names_it_by_issue_number(tmp_path: Path) -> None:
    payload = {"issue": {"number": 8, "pull_request": {"url": "https://api.github.com/x"}}}
    env = {
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_EVENT_PATH": pull_request_event(tmp_path, payload),
    }

    target = github_target(env, None)

    assert isinstance(target, GitHubTarget)
    assert target.number == 8


def test_an_issue_comment_on_a_plain_issue_is_skipped(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_NAME": "issue_comment",
        "GITHUB_EVENT_PATH": pull_request_event(tmp_path, {"issue": {"number": 8}}),
    }

    assert isinstance(github_target(env, None), Skip)


def test_the_pr_option_wins_over_the_event(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_PATH": pull_request_event(tmp_path, {"pull_request": {"number": 31}}),
    }

    target = github_target(env, 5)

    assert isinstance(target, GitHubTarget)
    assert target.number == 5


def test_the_pull_request_ref_is_the_fallback() -> None:
    env = {"GITHUB_REPOSITORY": "acme/payments-api", "GITHUB_REF": "refs/pull/17/merge"}

    target = github_target(env, None)

    assert isinstance(target, GitHubTarget)
    assert target.number == 17


def test_an_unreadable_event_payload_is_skipped(tmp_path: Path) -> None:
    env = {
        "GITHUB_REPOSITORY": "acme/payments-api",
        "GITHUB_EVENT_PATH": str(tmp_path / "missing.json"),
    }

    target = github_target(env, None)

    assert isinstance(target, Skip)
    assert "unreadable" in target.reason


def test_a_pagination_link_to_another_host_is_not_followed(
    clock: FakeClock, tmp_path: Path, options: OptionsFactory
) -> None:
    class Redirecting(FakeGitHub):
        def _list(self, request):  # type: ignore[no-untyped-def]
            status, _, items = super()._list(request)
            return status, {"Link": '<https://evil.example/next?page=2>; rel="next"'}, items

    fake = Redirecting()
    with fake.running():
        outcome = publish(summary("x"), options(), env_for(fake, tmp_path))

    assert outcome.action is Action.failed
    assert "leaves the API host" in outcome.message
    assert fake.writes() == []
