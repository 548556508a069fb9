"""The comment bot on GitLab: one sticky note per merge request, via python-gitlab."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from publish_fakes import (
    GITLAB_TOKEN,
    SOMEONE_ELSE,
    FakeClock,
    FakeGitLab,
    OptionsFactory,
    changed,
    self_signed_tls,
    summary,
)

from hardening.publish.forges import publish
from hardening.publish.gitlab import MAX_CHARS, gitlab_target
from hardening.publish.interface import Action, CommentOptions, GitLabTarget, Platform, Skip
from hardening.render.markdown import MARKER

NOTES = "/api/v4/projects/42/merge_requests/7/notes"
PROJECT_URL = "https://gitlab.example.com/acme/payments-api"


def env_for(server: FakeGitLab, **changes: str | None) -> dict[str, str]:
    env = {
        "GITLAB_CI": "true",
        "CI_API_V4_URL": server.api_url,
        "CI_PROJECT_ID": "42",
        "CI_PROJECT_URL": PROJECT_URL,
        "CI_MERGE_REQUEST_IID": "7",
        "HARDENING_GITLAB_TOKEN": GITLAB_TOKEN,
    }
    return changed(env, changes)


# --- the sticky note ---------------------------------------------------------------------


def test_first_run_posts_a_new_note(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(summary("2 new high"), options(), env_for(gitlab_server))

    assert outcome.action is Action.created
    assert outcome.exit_code == 0
    assert gitlab_server.calls() == [
        ("GET", "/api/v4/user"),
        ("GET", NOTES),
        ("POST", NOTES),
    ]
    posted = gitlab_server.requests[-1].body["body"]
    assert posted == f"{MARKER}\n## Hardening summary\n\n2 new high\n"
    (note,) = gitlab_server.notes.values()
    assert note["body"] == posted
    assert outcome.where == f"{PROJECT_URL}/-/merge_requests/7#note_{note['id']}"
    assert outcome.body == posted


def test_all_notes_are_listed_in_one_request_per_page(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    publish(summary("x"), options(), env_for(gitlab_server))

    listing = gitlab_server.requests[1]
    assert listing.query["per_page"] == "100"
    assert gitlab_server.requests[0].headers["private-token"] == GITLAB_TOKEN


def test_an_earlier_note_is_updated_in_place(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    earlier = gitlab_server.add_note(f"{MARKER}\nold summary", note_id=31)

    outcome = publish(summary("1 new medium"), options(), env_for(gitlab_server))

    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in gitlab_server.writes()] == [("PUT", f"{NOTES}/31")]
    assert earlier["body"] == f"{MARKER}\n## Hardening summary\n\n1 new medium\n"
    assert outcome.where == f"{PROJECT_URL}/-/merge_requests/7#note_31"


def test_an_unchanged_summary_writes_nothing(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    render = summary("nothing new")
    gitlab_server.add_note(render(0).replace("\n", "\r\n"))  # stored with CRLF line ends

    outcome = publish(render, options(), env_for(gitlab_server))

    assert outcome.action is Action.unchanged
    assert gitlab_server.writes() == []
    assert "nothing posted" in outcome.message


def test_of_several_copies_the_oldest_is_kept_and_the_others_deleted(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    # Creation time decides, not the id; on a tie the lower id wins.
    gitlab_server.add_note(f"{MARKER}\nnewest", note_id=10, created_at="2024-03-02T10:00:00.000Z")
    gitlab_server.add_note(f"{MARKER}\noldest", note_id=12, created_at="2024-03-01T10:00:00.000Z")
    gitlab_server.add_note(f"{MARKER}\ntwin", note_id=13, created_at="2024-03-01T10:00:00.000Z")

    outcome = publish(summary("fresh"), options(), env_for(gitlab_server))

    assert outcome.action is Action.updated
    assert outcome.removed == 2
    assert sorted((r.method, r.path) for r in gitlab_server.writes()) == [
        ("DELETE", f"{NOTES}/10"),
        ("DELETE", f"{NOTES}/13"),
        ("PUT", f"{NOTES}/12"),
    ]
    assert list(gitlab_server.notes) == [12]
    assert "Removed 2 duplicate" in outcome.message


def test_duplicates_are_removed_even_when_the_kept_note_is_current(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    render = summary("same")
    gitlab_server.add_note(render(0), note_id=5)
    gitlab_server.add_note(render(0), note_id=6)

    outcome = publish(render, options(), env_for(gitlab_server))

    assert outcome.action is Action.unchanged
    assert [(r.method, r.path) for r in gitlab_server.writes()] == [("DELETE", f"{NOTES}/6")]


def test_notes_of_other_users_are_left_alone_even_with_the_marker(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    theirs = gitlab_server.add_note(f"{MARKER}\ncopied by hand", author=SOMEONE_ELSE, note_id=3)
    gitlab_server.add_note("LGTM, but see the summary", note_id=4)  # ours, without the marker

    outcome = publish(summary("mine"), options(), env_for(gitlab_server))

    assert outcome.action is Action.created
    assert [r.method for r in gitlab_server.writes()] == ["POST"]
    assert theirs["body"] == f"{MARKER}\ncopied by hand"
    assert gitlab_server.notes[4]["body"] == "LGTM, but see the summary"


def test_system_notes_are_ignored(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.add_note(f"mentioned in {MARKER}", system=True, note_id=2)

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.created


def test_the_earlier_note_is_found_beyond_the_first_page(
    clock: FakeClock, options: OptionsFactory
) -> None:
    fake = FakeGitLab(max_per_page=3)
    for index in range(7):
        fake.add_note(f"review comment {index}", author=SOMEONE_ELSE)
    fake.add_note(f"{MARKER}\nold", note_id=99)  # the newest note: last page in ascending order
    with fake.running():
        outcome = publish(summary("new"), options(), env_for(fake))

    listings = [r for r in fake.requests if r.method == "GET" and r.path == NOTES]
    assert [r.query.get("page", "1") for r in listings] == ["1", "2", "3"]
    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in fake.writes()] == [("PUT", f"{NOTES}/99")]


# --- retries -----------------------------------------------------------------------------


def test_rate_limit_is_retried_after_the_time_the_server_asks(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(429, method="POST", headers={"Retry-After": "3"})

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.created
    assert clock.sleeps == [3.0]
    assert [r.method for r in gitlab_server.writes()] == ["POST", "POST"]
    assert len(gitlab_server.notes) == 1


def test_server_errors_are_retried_with_exponential_backoff(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(503, method="GET", times=2)

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.created
    assert clock.sleeps == [0.5, 1.0]


def test_retries_stop_within_the_time_budget(gitlab_server: FakeGitLab, clock: FakeClock) -> None:
    gitlab_server.fail(502, times=1000)
    opts = CommentOptions(retry=clock.policy(budget=10.0))

    outcome = publish(summary("x"), opts, env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert sum(clock.sleeps) <= 10.0
    assert clock.sleeps[:4] == [0.5, 1.0, 2.0, 4.0]
    assert "gave up after" in outcome.message
    assert "HTTP 502" in outcome.message


def test_a_retry_after_beyond_the_budget_is_not_waited_for(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(429, headers={"Retry-After": "3600"})

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert clock.sleeps == []
    assert "HTTP 429" in outcome.message
    assert "asked to wait 3600 s" in outcome.message


def test_a_vanished_duplicate_is_not_a_failure(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.add_note(f"{MARKER}\na", note_id=1)
    gitlab_server.add_note(f"{MARKER}\nb", note_id=2)
    gitlab_server.fail(404, method="DELETE", body={"message": "404 Not found"})

    outcome = publish(summary("c"), options(), env_for(gitlab_server))

    assert outcome.action is Action.updated


# --- failures are explained, and only fail the job when asked -----------------------------


def test_forbidden_is_a_warning_that_names_the_fix(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(403, method="POST", body={"message": "403 Forbidden"})

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "CI_JOB_TOKEN cannot write notes" in outcome.message
    assert "HARDENING_GITLAB_TOKEN" in outcome.message
    assert "api scope" in outcome.message
    assert clock.sleeps == []


def test_forbidden_fails_the_job_when_strict(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(403, method="POST")

    outcome = publish(summary("x"), options(strict=True), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 1


def test_an_invalid_token_is_explained(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, HARDENING_GITLAB_TOKEN="glpat-revokedRevokedRevoked0")

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.failed
    assert "invalid, expired or revoked (HTTP 401;" in outcome.message
    assert "glpat-revoked" not in outcome.message


def test_a_job_token_in_place_of_an_access_token_is_named(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    # GITLAB_TOKEN=$CI_JOB_TOKEN: sent as PRIVATE-TOKEN, GitLab answers 401, not 403.
    env = env_for(gitlab_server, HARDENING_GITLAB_TOKEN="64_jobTokenjobTokenjobToken0000")

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.failed
    assert "CI_JOB_TOKEN is not accepted" in outcome.message


def test_an_unknown_project_is_explained(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, CI_PROJECT_ID="404404")

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.failed
    assert outcome.message == (
        "GitLab found no merge request !7 in project 404404, or the token cannot see it (HTTP 404)."
    )


def test_other_errors_quote_the_server_without_the_token(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    gitlab_server.fail(422, method="POST", body={"message": f"token {GITLAB_TOKEN} is odd"})

    outcome = publish(summary("x"), options(), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert "HTTP 422 while creating the comment" in outcome.message
    assert GITLAB_TOKEN not in outcome.message


def test_a_missing_token_is_a_warning(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, HARDENING_GITLAB_TOKEN=None)

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "HARDENING_GITLAB_TOKEN" in outcome.message
    # The usual cause in a merge request pipeline: a protected variable, an unprotected branch.
    assert "protected variable" in outcome.message
    assert gitlab_server.requests == []


def test_gitlab_token_is_the_fallback_variable(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, HARDENING_GITLAB_TOKEN=None, GITLAB_TOKEN=GITLAB_TOKEN)

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.created


def test_hardening_gitlab_token_wins_over_gitlab_token(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, GITLAB_TOKEN="glpat-someOtherTokenNotThisOne")

    outcome = publish(summary("x"), options(), env)

    assert outcome.action is Action.created


def test_an_unreachable_server_is_a_warning(clock: FakeClock) -> None:
    fake = FakeGitLab()
    with fake.running():
        env = env_for(fake)  # the server is gone once the block ends

    outcome = publish(summary("x"), CommentOptions(retry=clock.policy(budget=2.0)), env)

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "could not be reached" in outcome.message


# --- size --------------------------------------------------------------------------------


def test_the_body_is_re_rendered_until_it_fits(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    budgets: list[int] = []

    def render(max_chars: int) -> str:
        # A renderer that overshoots its budget by a fixed amount.
        budgets.append(max_chars)
        return f"{MARKER}\n" + "x" * (max_chars + 50_000)

    outcome = publish(render, options(), env_for(gitlab_server))

    assert outcome.action is Action.created
    posted = gitlab_server.requests[-1].body["body"]
    assert len(posted) <= MAX_CHARS
    assert len(budgets) >= 2
    assert budgets == sorted(budgets, reverse=True)
    assert budgets[0] < MAX_CHARS


def test_a_body_that_never_fits_is_not_posted(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(lambda _: MARKER + "x" * MAX_CHARS, options(), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert outcome.exit_code == 0
    assert "over the platform's limit of 1,000,000" in outcome.message
    assert gitlab_server.requests == []


def test_the_marker_is_added_when_the_body_lacks_it(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    publish(lambda _: "summary without marker", options(), env_for(gitlab_server))

    assert gitlab_server.requests[-1].body["body"] == f"{MARKER}\nsummary without marker"


def test_a_custom_marker_identifies_the_note(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    marker = "<!-- hardening:summary:sast -->"
    gitlab_server.add_note(f"{MARKER}\nthe other job's summary", note_id=1)
    gitlab_server.add_note(f"{marker}\nold", note_id=2)

    outcome = publish(lambda _: f"{marker}\nnew", options(marker=marker), env_for(gitlab_server))

    assert outcome.action is Action.updated
    assert [(r.method, r.path) for r in gitlab_server.writes()] == [("PUT", f"{NOTES}/2")]


# --- dry run and outside a merge request ---------------------------------------------------


def test_dry_run_sends_nothing_and_says_what_and_where(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(dry_run=True), env_for(gitlab_server))

    assert gitlab_server.requests == []
    assert outcome.action is Action.skipped
    assert outcome.exit_code == 0
    assert outcome.where == f"{PROJECT_URL}/-/merge_requests/7"
    assert outcome.body == summary("x")(0)
    assert outcome.message.startswith("Dry run: would post or update the summary")


def test_dry_run_needs_no_token(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, HARDENING_GITLAB_TOKEN=None)

    outcome = publish(summary("x"), options(dry_run=True), env)

    assert outcome.action is Action.skipped
    assert outcome.body is not None


def test_a_branch_pipeline_is_skipped(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, CI_MERGE_REQUEST_IID=None)

    outcome = publish(summary("x"), options(strict=True), env)

    assert outcome.action is Action.skipped
    assert outcome.exit_code == 0
    assert "not a merge request pipeline" in outcome.message
    assert gitlab_server.requests == []


def test_dry_run_on_a_branch_pipeline_still_shows_the_summary(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    env = env_for(gitlab_server, CI_MERGE_REQUEST_IID=None)

    outcome = publish(summary("x"), options(dry_run=True), env)

    assert outcome.action is Action.skipped
    assert outcome.where == "nowhere"
    assert outcome.message.startswith("Dry run: This is not a merge request pipeline")
    assert outcome.body == summary("x")(0)
    assert gitlab_server.requests == []


def test_dry_run_outside_ci_still_shows_the_summary(
    clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(dry_run=True), {"HOME": "/home/dev"})

    assert outcome.action is Action.skipped
    assert outcome.exit_code == 0
    assert outcome.message.startswith("Dry run: Not running in a GitLab CI or GitHub Actions")
    assert outcome.body == summary("x")(0)


def test_outside_ci_nothing_happens(clock: FakeClock, options: OptionsFactory) -> None:
    outcome = publish(summary("x"), options(), {"HOME": "/home/dev"})

    assert outcome.action is Action.skipped
    assert outcome.exit_code == 0
    assert outcome.message == (
        "Not running in a GitLab CI or GitHub Actions job, so there is nothing to comment on."
    )


# --- where to post -------------------------------------------------------------------------


def test_the_target_comes_from_the_ci_variables() -> None:
    target = gitlab_target(
        {
            "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "7",
            "GITLAB_TOKEN": GITLAB_TOKEN,
        }
    )

    assert target == GitLabTarget(
        server_url="https://gitlab.example.com",
        project_id="42",
        mr_iid=7,
        token=GITLAB_TOKEN,
        project_url=None,
    )
    assert target.describe() == (
        "GitLab merge request !7 of project 42 on https://gitlab.example.com"
    )


def test_a_self_managed_server_under_a_path_keeps_its_path() -> None:
    target = gitlab_target(
        {
            "CI_API_V4_URL": "https://git.corp.example/gitlab/api/v4/",
            "CI_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_IID": "7",
        }
    )

    assert isinstance(target, GitLabTarget)
    assert target.server_url == "https://git.corp.example/gitlab"
    assert target.token is None


def test_a_fork_merge_request_is_posted_in_the_target_project() -> None:
    target = gitlab_target(
        {
            "CI_API_V4_URL": "https://gitlab.example.com/api/v4",
            "CI_PROJECT_ID": "900",  # the fork running the pipeline
            "CI_MERGE_REQUEST_PROJECT_ID": "42",
            "CI_MERGE_REQUEST_PROJECT_URL": PROJECT_URL,
            "CI_PROJECT_URL": "https://gitlab.example.com/forker/payments-api",
            "CI_MERGE_REQUEST_IID": "7",
        }
    )

    assert isinstance(target, GitLabTarget)
    assert target.project_id == "42"
    assert target.describe() == f"{PROJECT_URL}/-/merge_requests/7"


def test_an_explicit_platform_outside_its_ci_is_skipped(
    clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(platform=Platform.gitlab), {})

    assert outcome.action is Action.skipped
    assert "CI_API_V4_URL is not set" in outcome.message


def test_a_malformed_merge_request_iid_is_skipped() -> None:
    target = gitlab_target({"CI_API_V4_URL": "https://x/api/v4", "CI_MERGE_REQUEST_IID": "abc"})

    assert isinstance(target, Skip)


# --- a server with its own CA ------------------------------------------------------------


@pytest.fixture
def tls_gitlab(tmp_path: Path) -> Iterator[tuple[FakeGitLab, Path]]:
    made = self_signed_tls(tmp_path)
    if made is None:
        pytest.skip("openssl is not available")
    context, ca_file = made
    fake = FakeGitLab()
    with fake.running(tls=context):
        yield fake, ca_file


def test_a_private_ca_is_trusted_through_the_ca_file_option(
    tls_gitlab: tuple[FakeGitLab, Path], clock: FakeClock, options: OptionsFactory
) -> None:
    fake, ca_file = tls_gitlab

    outcome = publish(summary("x"), options(ca_file=str(ca_file)), env_for(fake))

    assert fake.base_url.startswith("https://")
    assert outcome.action is Action.created


def test_a_private_ca_is_trusted_through_requests_ca_bundle(
    tls_gitlab: tuple[FakeGitLab, Path], clock: FakeClock, options: OptionsFactory
) -> None:
    fake, ca_file = tls_gitlab

    outcome = publish(summary("x"), options(), env_for(fake, REQUESTS_CA_BUNDLE=str(ca_file)))

    assert outcome.action is Action.created


def test_the_runner_ca_file_variable_is_the_last_fallback(
    tls_gitlab: tuple[FakeGitLab, Path], clock: FakeClock, options: OptionsFactory
) -> None:
    fake, ca_file = tls_gitlab

    outcome = publish(summary("x"), options(), env_for(fake, CI_SERVER_TLS_CA_FILE=str(ca_file)))

    assert outcome.action is Action.created


def test_an_untrusted_certificate_is_explained_without_retrying(
    tls_gitlab: tuple[FakeGitLab, Path], clock: FakeClock, options: OptionsFactory
) -> None:
    fake, _ = tls_gitlab

    outcome = publish(summary("x"), options(), env_for(fake))

    assert outcome.action is Action.failed
    assert "TLS verification" in outcome.message
    assert "--ca-file" in outcome.message
    assert clock.sleeps == []


def test_a_missing_ca_file_is_reported(
    gitlab_server: FakeGitLab, clock: FakeClock, options: OptionsFactory
) -> None:
    outcome = publish(summary("x"), options(ca_file="/nonexistent/ca.pem"), env_for(gitlab_server))

    assert outcome.action is Action.failed
    assert "/nonexistent/ca.pem does not exist" in outcome.message
    assert gitlab_server.requests == []
