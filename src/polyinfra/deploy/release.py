"""What a release is on Cloud Run, shared by every command that reads or changes one: the
labels a deploy stamps on each object it writes (so objects polyinfra manages can be found and
told apart from everything else in the project), the version a live object or revision carries,
and the commit a deploy was made from.

Labels follow Google Cloud's label rules (lowercase keys and values, no ``/``) because Cloud
Run stores an object's labels as its resource labels; ``managed-by`` is the key Google's own
tools use for the same purpose (Cloud Deploy writes ``managed-by: google-cloud-deploy``).
"""

from __future__ import annotations

from pathlib import Path

from polyinfra.deploy.apply import VERSION_ANNOTATION, stamp_version
from polyinfra.deploy.errors import JsonObject
from polyinfra.values import is_label_value

#: Top-level labels of every object polyinfra deploys.
MANAGED_BY_LABEL = "managed-by"
MANAGED_BY = "polyinfra"
APP_LABEL = "polyinfra-app"
ENV_LABEL = "polyinfra-env"

#: ``labelSelector`` of every object polyinfra deployed to ``env`` (see :func:`managed_selector`).
_SELECTOR = f"{MANAGED_BY_LABEL}={MANAGED_BY}"

#: The object annotation that records the commit the workspace was at when it was deployed
#: (on the object, not the revision template: a new commit alone cuts no revision).
COMMIT_ANNOTATION = "polyinfra.dev/commit"


def stamp_release(
    manifest: JsonObject, *, app: str, env: str, version: str, commit: str = ""
) -> JsonObject:
    """A copy of ``manifest`` as a deploy writes it: ``version`` on its revision template
    (:func:`~polyinfra.deploy.apply.stamp_version`) and, on the object, the labels that say
    polyinfra manages it, for which app and environment (each only when it is a valid label
    value; an app or environment name that is not cannot be selected by label), and the
    ``commit`` deployed from when known."""
    stamped = stamp_version(manifest, version)
    metadata = stamped.setdefault("metadata", {})
    if commit:
        annotations = dict(metadata.get("annotations") or {})
        annotations[COMMIT_ANNOTATION] = commit
        metadata["annotations"] = annotations
    labels = dict(metadata.get("labels") or {})
    labels[MANAGED_BY_LABEL] = MANAGED_BY
    for key, value in ((APP_LABEL, app), (ENV_LABEL, env)):
        if is_label_value(value):
            labels[key] = value
    metadata["labels"] = labels
    return stamped


def managed_selector(env: str | None = None) -> str:
    """The ``labelSelector`` of the objects polyinfra deployed (to ``env`` when given)."""
    return _SELECTOR if env is None else f"{_SELECTOR},{ENV_LABEL}={env}"


def is_managed(obj: JsonObject) -> bool:
    """True when ``obj`` carries the label polyinfra stamps on what it deploys."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(MANAGED_BY_LABEL) == MANAGED_BY)


def managed_app(obj: JsonObject) -> str | None:
    """The app a managed object was deployed for (None when it is not managed)."""
    if not is_managed(obj):
        return None
    labels = (obj.get("metadata") or {}).get("labels") or {}
    value = labels.get(APP_LABEL)
    return str(value) if value else None


def revision_version(revision: JsonObject) -> str | None:
    """The version a Revision (or any object whose own metadata carries the revision
    template's annotations) was deployed with."""
    annotations = (revision.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(VERSION_ANNOTATION)
    return None if value is None else str(value)


def deployed_commit(obj: JsonObject) -> str | None:
    """The commit ``obj`` was deployed from (:data:`COMMIT_ANNOTATION`), if recorded."""
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(COMMIT_ANNOTATION)
    return str(value) if value else None


def head_commit(root: Path) -> str:
    """The commit ``root``'s checkout is at, or "" outside a git checkout (or without git)."""
    return resolve_commit(root, "HEAD") or ""


def resolve_commit(root: Path, ref: str) -> str | None:
    """The full SHA of the commit ``ref`` names in the repository ``root`` is in (a version
    that is a commit SHA, short or full, or a tag or branch named like the version), or None
    when it names none, ``root`` is no git checkout or git is not installed."""
    from polyinfra.errors import ToolError
    from polyinfra.proc import run

    if not ref or ref.startswith("-"):
        return None
    try:
        completed = run(
            ["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
            check=False,
        )
    except ToolError:
        return None
    sha = completed.stdout.decode("ascii", "replace").strip()
    return sha if completed.returncode == 0 and len(sha) in (40, 64) else None
