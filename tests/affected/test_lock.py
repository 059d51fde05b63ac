"""uv.lock narrowing: which projects a lock change reaches, and when it cannot be narrowed."""

from __future__ import annotations

from polyinfra.affected.lock import LockProject, lock_impact

HEADER = 'version = 1\nrevision = 3\nrequires-python = ">=3.13"\n\n'
PROJECTS = [
    LockProject(name="api", folder="projects/api", package_name="api"),
    LockProject(name="job", folder="projects/job", package_name="job"),
]


def package(name: str, version: str, deps: tuple[str, ...] = (), source: str = "") -> str:
    source = source or '{ registry = "https://pypi.org/simple" }'
    lines = ["[[package]]", f'name = "{name}"', f'version = "{version}"', f"source = {source}"]
    if deps:
        lines.append("dependencies = [" + ", ".join(f'{{ name = "{d}" }}' for d in deps) + "]")
    return "\n".join(lines) + "\n\n"


def lock(*packages: str, header: str = HEADER) -> bytes:
    return (header + "".join(packages)).encode()


def members(api_deps: tuple[str, ...], job_deps: tuple[str, ...]) -> tuple[str, str]:
    return (
        package("api", "0", api_deps, '{ editable = "projects/api" }'),
        package("job", "0", job_deps, '{ editable = "projects/job" }'),
    )


def test_changed_transitive_package_reaches_only_its_users() -> None:
    old = lock(
        *members(("flask",), ("requests",)),
        package("flask", "3.0", ("werkzeug",)),
        package("werkzeug", "3.0"),
        package("requests", "2.0"),
    )
    new = lock(
        *members(("flask",), ("requests",)),
        package("flask", "3.0", ("werkzeug",)),
        package("werkzeug", "3.1"),
        package("requests", "2.0"),
    )
    impact = lock_impact(old, new, PROJECTS)
    assert impact.everything is None
    assert impact.changed_packages == ("werkzeug",)
    assert dict(impact.projects) == {"api": ("werkzeug",)}


def test_removed_package_is_found_in_the_old_closure() -> None:
    old = lock(
        *members(("flask",), ("requests",)),
        package("flask", "3.0", ("itsdangerous",)),
        package("itsdangerous", "2.0"),
        package("requests", "2.0"),
    )
    new = lock(
        *members(("flask",), ("requests",)), package("flask", "3.1"), package("requests", "2.0")
    )
    impact = lock_impact(old, new, PROJECTS)
    assert impact.everything is None
    assert impact.changed_packages == ("flask", "itsdangerous")
    assert dict(impact.projects) == {"api": ("flask", "itsdangerous")}


def test_unchanged_packages_in_another_order_affect_nothing() -> None:
    old = lock(*members((), ("requests",)), package("requests", "2.0"))
    new = lock(package("requests", "2.0"), *reversed(members((), ("requests",))))
    impact = lock_impact(old, new, PROJECTS)
    assert impact.everything is None
    assert dict(impact.projects) == {}


def test_resolver_settings_change_cannot_be_narrowed() -> None:
    old = lock(*members((), ()))
    new = lock(*members((), ()), header=HEADER.replace(">=3.13", ">=3.12"))
    impact = lock_impact(old, new, PROJECTS)
    assert impact.everything == "uv.lock settings outside [[package]] changed (requires-python)"


def test_unparsable_lock_cannot_be_narrowed() -> None:
    impact = lock_impact(lock(*members((), ())), b"[[package]\nname = ", PROJECTS)
    assert impact.everything is not None
    assert impact.everything.startswith("uv.lock could not be parsed at both revisions (")


def test_added_or_deleted_lock_cannot_be_narrowed() -> None:
    assert lock_impact(None, lock(*members((), ())), PROJECTS).everything == (
        "uv.lock was added, so no package-level comparison is possible"
    )
    assert lock_impact(lock(*members((), ())), None, PROJECTS).everything == (
        "uv.lock was deleted, so no package-level comparison is possible"
    )


def test_project_missing_from_the_lock_cannot_be_narrowed() -> None:
    api_only = package("api", "0", (), '{ editable = "projects/api" }')
    impact = lock_impact(lock(api_only), lock(api_only, package("x", "1")), PROJECTS)
    assert (
        impact.everything
        == "project job has no package in uv.lock, so its dependencies are unknown"
    )


def test_project_found_by_package_name_when_folder_differs() -> None:
    moved = [LockProject(name="api", folder="projects/api_service", package_name="API")]
    old = lock(
        package("api", "0", ("flask",), '{ editable = "projects/api" }'), package("flask", "3.0")
    )
    new = lock(
        package("api", "0", ("flask",), '{ editable = "projects/api" }'), package("flask", "3.1")
    )
    assert dict(lock_impact(old, new, moved).projects) == {"api": ("flask",)}
