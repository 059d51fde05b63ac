"""Files outside the workspace: a kustomization, a stack file or a schema reference that names
one (by an absolute path, by ``../`` or through a symbolic link inside the workspace) is an
error at the line that names it, and nothing of the file reaches the output."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.hostile.conftest import FORMATS, assert_no_traceback, run_main, tree_digest

APP = "infrastructure/cloudrun_service/inventory-api"
PROD = f"{APP}/overlays/production/kustomization.yaml"
BASE = f"{APP}/base/kustomization.yaml"
STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
SCHEMA = "infrastructure/pulumi/bigquery/bronze_dmd/inventory_movement.json"
#: What the files outside the workspace hold: it must never be printed.
MARKER = "LEAKED-CONTENT-7f3a9c"
PASSWD = "root:x:0:0"
UP_TO_FS_ROOT = "../" * 40


def outside_files(tmp_path: Path) -> Path:
    """Files beside the workspace (``tmp_path/data-platform``), each holding :data:`MARKER`."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "credentials.json").write_text(
        json.dumps({"type": "service_account", "private_key_id": MARKER}), encoding="utf-8"
    )
    (outside / "leak.yaml").write_text(f"- op: add\n  path: /x\n  value: {MARKER}\n")
    base = outside / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources:\n  - service.yaml\n")
    (base / "service.yaml").write_text(
        f"apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n  name: {MARKER}\n"
    )
    return outside


def append(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def where(root: Path, rel: str, needle: str) -> str:
    """``file:line:col`` of the first ``needle`` in ``root/rel`` (the file as polyinfra names
    it: absolute, the workspace root resolved)."""
    path = root.resolve() / rel
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return f"{path}:{number}:{line.index(needle) + 1}"
    raise AssertionError(f"{needle!r} not in {rel}")


@dataclass(frozen=True)
class Reference:
    """A kustomization naming something outside the workspace, and what polyinfra says."""

    rel: str  # the kustomization that names it
    needle: str  # where, in that file
    message: Callable[[Path, Path], str]  # (root, outside) -> the message


def absolute_patch(root: Path, outside: Path) -> Reference:
    append(root, PROD, "  - path: /etc/passwd\n")
    return Reference(PROD, "/etc/passwd", lambda r, o: f"/etc/passwd is outside the workspace {r}")


def relative_patch(root: Path, outside: Path) -> Reference:
    append(root, PROD, f"  - path: {UP_TO_FS_ROOT}etc/passwd\n")
    return Reference(
        PROD,
        UP_TO_FS_ROOT,
        lambda r, o: (
            f"{UP_TO_FS_ROOT}etc/passwd resolves to /etc/passwd, outside the workspace {r}"
        ),
    )


def linked_patch(root: Path, outside: Path) -> Reference:
    (root / PROD).parent.joinpath("patch.yaml").symlink_to(outside / "credentials.json")
    append(root, PROD, "  - path: patch.yaml\n    target:\n      kind: Service\n")
    return Reference(
        PROD,
        "patch.yaml",
        lambda r, o: (
            f"patch.yaml leads through a symbolic link to {o}/credentials.json, "
            f"outside the workspace {r}"
        ),
    )


def resource_file(root: Path, outside: Path) -> Reference:
    append(root, BASE, "  - ../../../../../outside/leak.yaml\n")
    return Reference(
        BASE,
        "../../../../../outside/leak.yaml",
        lambda r, o: (
            f"../../../../../outside/leak.yaml resolves to {o}/leak.yaml, outside the workspace {r}"
        ),
    )


def resource_folder(root: Path, outside: Path) -> Reference:
    path = root / PROD
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("  - ../../base\n", "  - ../../base\n  - ../../../../../../outside/base\n"),
        encoding="utf-8",
    )
    return Reference(
        PROD,
        "../../../../../../outside/base",
        lambda r, o: (
            f"../../../../../../outside/base resolves to {o}/base, outside the workspace {r}"
        ),
    )


def generator_input(root: Path, outside: Path) -> Reference:
    append(root, PROD, "configMapGenerator:\n  - name: settings\n    files:\n      - /etc/passwd\n")
    return Reference(PROD, "/etc/passwd", lambda r, o: f"/etc/passwd is outside the workspace {r}")


REFERENCES = [
    absolute_patch,
    relative_patch,
    linked_patch,
    resource_file,
    resource_folder,
    generator_input,
]
KUSTOMIZE_HINT = (
    "  hint: polyinfra reads no file outside the workspace, and kustomize itself reads only files "
    "in or below the kustomization's folder: move the file there and name it by a relative path"
)


@pytest.mark.parametrize("make", REFERENCES, ids=lambda make: make.__name__)
def test_a_kustomization_naming_a_file_outside_the_workspace_stops_at_the_line(
    root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path, Path], Reference],
) -> None:
    outside = outside_files(tmp_path).resolve()
    reference = make(root, outside)
    before = tree_digest(root)
    expected = [
        f"error: {where(root, reference.rel, reference.needle)}: "
        f"{reference.message(root.resolve(), outside)}",
        KUSTOMIZE_HINT,
    ]
    runs = [["check", "-w", str(root), "-f", form] for form in FORMATS]
    runs += [
        ["lint", str(root / APP)],
        ["render", "inventory-api", "--env", "production", "--version", "1.0.0", "-w", str(root)],
    ]
    for args in runs:
        outcome = run_main(args, capsys)
        assert outcome.code == 2, (args, outcome)
        assert outcome.out == ""
        assert outcome.err.splitlines() == expected, args
        assert MARKER not in outcome.text
        assert PASSWD not in outcome.text
        assert_no_traceback(outcome)
    assert tree_digest(root) == before


def test_outside_a_workspace_kustomize_s_own_rule_bounds_a_kustomization(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], example_path: Path
) -> None:
    """A folder that is no workspace: a kustomization reads files in or below its folder."""
    outside = outside_files(tmp_path).resolve()
    app = tmp_path / "plain" / "svc"
    app.mkdir(parents=True)
    shutil.copy(example_path / APP / "base" / "service.yaml", app / "service.yaml")
    (app / "kustomization.yaml").write_text(
        "resources:\n  - service.yaml\npatches:\n  - path: ../../outside/leak.yaml\n",
        encoding="utf-8",
    )
    before = tree_digest(tmp_path)

    outcome = run_main(["lint", str(app)], capsys)

    assert outcome.code == 2
    assert outcome.err.splitlines() == [
        f"error: {app.resolve()}/kustomization.yaml:4:11: ../../outside/leak.yaml resolves to "
        f"{outside}/leak.yaml, outside the kustomization's folder {app.resolve()}",
        KUSTOMIZE_HINT,
    ]
    assert MARKER not in outcome.text
    assert_no_traceback(outcome)
    assert tree_digest(tmp_path) == before


def test_a_stack_file_linked_from_outside_the_workspace_is_refused_at_the_file(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = outside_files(tmp_path).resolve()
    stack = root / STACK
    shutil.move(stack, outside / stack.name)
    (outside / stack.name).write_text(
        (outside / stack.name).read_text(encoding="utf-8") + f"# {MARKER}\n", encoding="utf-8"
    )
    stack.symlink_to(outside / stack.name)
    before = tree_digest(root)
    expected = [
        f"error: {root.resolve() / STACK}: the file leads through a symbolic link to "
        f"{outside / stack.name}, outside the workspace {root.resolve()}",
        "  hint: polyinfra reads no file outside the workspace: move the file into it and refer "
        "to it by a path relative to the file that names it",
    ]
    runs = [["check", "-w", str(root), "-f", form] for form in FORMATS]
    runs += [["plan", "-w", str(root), "--stack", "sandbox"]]
    for args in runs:
        outcome = run_main(args, capsys)
        assert outcome.code == 2, (args, outcome)
        assert outcome.err.splitlines() == expected, args
        assert MARKER not in outcome.text
        assert_no_traceback(outcome)
    assert tree_digest(root) == before


def test_a_schema_file_linked_from_outside_the_program_is_a_finding_at_its_reference(
    root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = outside_files(tmp_path).resolve()
    (outside / "schema.json").write_text(
        json.dumps([{"name": "id", "type": "STRING", "description": MARKER}]), encoding="utf-8"
    )
    (root / SCHEMA).unlink()
    (root / SCHEMA).symlink_to(outside / "schema.json")
    before = tree_digest(root)
    monkeypatch.chdir(root)
    message = (
        "input:projects.dmd-ingest.bigquery_tables[0].schema_file: the file must be inside the "
        "Pulumi program folder"
    )
    hint = (
        f"it resolves to {outside}/schema.json; move it into {root.resolve()}/infrastructure/"
        "pulumi and name it by a relative path (polyinfra reads no file a stack names outside "
        "the program folder)"
    )
    at = where(root, STACK, "bigquery/").split(":", 1)[1]  # both stack files: the same line

    text = run_main(["check", "-f", "text"], capsys)
    assert text.code == 1
    assert text.out.splitlines()[:4] == [
        f"infrastructure/pulumi/Pulumi.production.yaml:{at}: error: {message} [config/stack-valid]",
        "            schema_file: bigquery/bronze_dmd/inventory_movement.json",
        "                         ^",
        f"  hint: {hint}",
    ]
    documents = json.loads(run_main(["check", "-f", "json"], capsys).out)
    assert [(d["file"], f"{d['line']}:{d['col']}", d["message"]) for d in documents] == [
        ("infrastructure/pulumi/Pulumi.production.yaml", at, message),
        (STACK, at, message),
    ]
    for form in ("sarif", "github"):
        outcome = run_main(["check", "-f", form], capsys)
        assert outcome.code == 1
        assert MARKER not in outcome.text
        assert_no_traceback(outcome)

    plan = run_main(["plan", "--stack", "sandbox"], capsys)
    assert plan.code == 2
    assert plan.err.splitlines() == [
        f"error: {root.resolve() / STACK}:{at}: {message}",
        f"  hint: {hint}",
    ]
    for outcome in (text, plan):
        assert MARKER not in outcome.text
        assert_no_traceback(outcome)
    assert tree_digest(root) == before
