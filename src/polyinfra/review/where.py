"""Files as a pull request shows them: relative to the workspace root, never an absolute local
path."""

from __future__ import annotations

from pathlib import Path


def relative(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root``, posix-style; a file outside ``root`` (or with no root) by
    its name only, since a local absolute path means nothing to a reviewer.

    >>> relative(Path("/ws/infra/Pulumi.dev.yaml"), Path("/ws"))
    'infra/Pulumi.dev.yaml'
    >>> relative(Path("/elsewhere/x.yaml"), Path("/ws"))
    'x.yaml'
    """
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
        if not path.is_absolute():
            return path.as_posix()
    return path.name if path.is_absolute() else path.as_posix()
