"""Which forge to post to: the one of this CI job (or the one asked for), then its ``publish``.

Each forge module (``github``, ``gitlab``) finds its merge or pull request and posts there;
this module only chooses between them, so a third forge is one module and one branch here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from hardening.publish import github
from hardening.publish.comment import dry_run_nowhere
from hardening.publish.interface import Action, CommentOptions, CommentOutcome, Platform


def choose_platform(requested: Platform, env: Mapping[str, str]) -> Platform | None:
    if requested is not Platform.auto:
        return requested
    if env.get("GITLAB_CI") == "true" or env.get("CI_API_V4_URL"):
        return Platform.gitlab
    if env.get("GITHUB_ACTIONS") == "true" or env.get("GITHUB_REPOSITORY"):
        return Platform.github
    return None


def publish(
    render: Callable[[int], str], options: CommentOptions, env: Mapping[str, str]
) -> CommentOutcome:
    """Post or update the sticky summary note of the current merge request or pull request.

    ``render(max_chars)`` returns the Markdown summary rendered within ``max_chars``
    characters.  ``env`` is the process environment (CI variables).  Never raises for a
    platform problem: the outcome says what happened and which exit code to use.
    """
    platform = choose_platform(options.platform, env)
    if platform is Platform.gitlab:
        from hardening.publish import gitlab  # python-gitlab is only needed there

        return gitlab.publish(render, options, env)
    if platform is Platform.github:
        return github.publish(render, options, env)
    reason = "Not running in a GitLab CI or GitHub Actions job, so there is nothing to comment on."
    if options.dry_run:
        # GitHub's limit is the smaller one: a body that fits it fits both platforms.
        return dry_run_nowhere(render, github.MAX_CHARS, options, reason)
    return CommentOutcome(Action.skipped, "nowhere", reason)
