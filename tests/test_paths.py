"""Path normalization: repo-relative POSIX paths, never relative to the current directory."""

from __future__ import annotations

from hardening.paths import PathNormalizer, clean


def test_file_uri_is_decoded() -> None:
    assert clean("file:///builds/acme/api/cmd/main%20x.go") == "/builds/acme/api/cmd/main x.go"


def test_windows_file_uri_keeps_drive() -> None:
    assert clean("file:///C:/src/app/main.go") == "C:/src/app/main.go"


def test_backslashes_become_slashes() -> None:
    assert clean("C:\\Users\\chu\\go\\main.go") == "C:/Users/chu/go/main.go"


def test_leading_dot_slash_is_dropped() -> None:
    assert clean("./cmd/./api/main.go") == "cmd/api/main.go"


def test_relative_path_is_kept() -> None:
    assert PathNormalizer().normalize("internal/x.go") == ("internal/x.go", None)


def test_configured_prefix_is_stripped_first() -> None:
    normalizer = PathNormalizer.from_settings(["/src/app"], env={})
    assert normalizer.normalize("/src/app/cmd/main.go") == ("cmd/main.go", "/src/app/")


def test_windows_prefix_is_stripped_case_insensitively() -> None:
    normalizer = PathNormalizer.from_settings(["C:\\Users\\chu\\repo"], env={})
    assert normalizer.normalize("c:\\users\\chu\\repo\\core\\a.go")[0] == "core/a.go"


def test_ci_project_dir_is_stripped() -> None:
    normalizer = PathNormalizer.from_settings([], env={"CI_PROJECT_DIR": "/srv/ci/acme/api"})
    assert normalizer.normalize("/srv/ci/acme/api/main.go") == ("main.go", "/srv/ci/acme/api/")


def test_gitlab_runner_layout_is_stripped() -> None:
    path, prefix = PathNormalizer().normalize("/builds/acme/payments-api/cmd/api/main.go")
    assert (path, prefix) == ("cmd/api/main.go", "/builds/acme/payments-api/")


def test_github_runner_layout_is_stripped() -> None:
    path, _ = PathNormalizer().normalize("/home/runner/work/api/api/internal/x.go")
    assert path == "internal/x.go"


def test_github_job_container_layout_is_stripped() -> None:
    path, prefix = PathNormalizer().normalize("/__w/api/api/internal/x.go")
    assert (path, prefix) == ("internal/x.go", "/__w/api/api/")


def test_github_docker_action_workspace_is_stripped() -> None:
    # gosec's own GitHub action and gitleaks-action v1 run in a container at /github/workspace.
    path, prefix = PathNormalizer().normalize("/github/workspace/cmd/api/main.go")
    assert (path, prefix) == ("cmd/api/main.go", "/github/workspace/")


def test_unknown_absolute_path_stays_absolute() -> None:
    assert PathNormalizer().normalize("/vagrant/go/src/app/main.go") == (
        "/vagrant/go/src/app/main.go",
        None,
    )
