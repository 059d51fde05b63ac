"""An app rendered as it was at a commit: the workspace extracted from git into a temporary
folder and rendered there as ``polyinfra deploy`` renders it."""

from __future__ import annotations

import tarfile
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from polyinfra.deploy.errors import JsonObject
from polyinfra.deploy.rollout import DeployTarget
from polyinfra.errors import UserError


@contextmanager
def workspace_at(root: Path, commit: str) -> Iterator[Path]:
    """The workspace folder ``root`` as it was at ``commit``, extracted with ``git archive``
    into a temporary folder (the checkout is left alone) that is removed afterwards."""
    from polyinfra.proc import run

    short = commit[:12]
    top = Path(
        run(
            ["git", "-C", str(root), "rev-parse", "--show-toplevel"],
            what="finding the git repository of the workspace",
        )
        .stdout.decode()
        .strip()
    )
    inside = root.resolve().relative_to(top.resolve())
    with tempfile.TemporaryDirectory(prefix="polyinfra-rollback-") as tmp:
        archive = Path(tmp) / "tree.tar"
        paths = [] if inside == Path(".") else ["--", inside.as_posix()]
        run(
            ["git", "-C", str(top), "archive", "--format=tar", "-o", str(archive), commit, *paths],
            what=f"reading the workspace at commit {short}",
        )
        tree = Path(tmp) / "tree"
        with tarfile.open(archive) as opened:
            opened.extractall(tree, filter="data")
        folder = tree / inside
        if not folder.is_dir():
            raise UserError(f"the workspace folder {inside} does not exist at commit {short}")
        yield folder


def render_at(
    root: Path,
    commit: str,
    target: DeployTarget,
    version: str,
    *,
    images: Mapping[str, str],
    registry: str | None,
    region: str | None,
) -> JsonObject:
    """The manifest of ``target``'s object as ``polyinfra deploy --version VERSION`` renders it
    from the workspace at ``commit`` (same images and registry as a deploy)."""
    from polyinfra.deploy.apps import targets_from_render
    from polyinfra.manifests import render_apps
    from polyinfra.manifests.links import discover_workspace

    short = commit[:12]
    with workspace_at(root, commit) as folder:
        try:
            ws = discover_workspace(folder)
            result = render_apps(
                ws, [target.app], target.env, version, images=images, registry=registry
            )
            rendered = targets_from_render(ws, result, region=region)
        except UserError as exc:
            text = exc.render().replace(str(folder), f"{root} at {short}")
            raise UserError(
                f"{target.app} ({target.env}): the app cannot be rendered as it was at commit "
                f"{short}:\n{text}"
            ) from None
    for candidate in rendered:
        if candidate.ref == target.ref:
            return candidate.manifest
    found = ", ".join(str(c.ref) for c in rendered) or "nothing"
    raise UserError(
        f"{target.app} ({target.env}): at commit {short} the app renders {found}, not {target.ref}",
        hint="a rollback replaces the object the app deploys now; deploy that version instead",
    )
