"""The kustomize runner: the ``kustomize`` binary when it is on PATH, else ``kubectl kustomize``."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from polyinfra import proc
from polyinfra.errors import ToolError


@dataclass(frozen=True)
class Kustomize:
    """A way to run ``kustomize build``: the command prefix, e.g. ``("kubectl", "kustomize")``."""

    command: tuple[str, ...]

    @property
    def name(self) -> str:
        return " ".join(self.command)

    def build(self, directory: Path, *, what: str | None = None) -> str:
        """``kustomize build DIRECTORY`` output; ToolError with kustomize's stderr on failure."""
        build = () if self.is_kubectl else ("build",)
        args = [*self.command, *build, str(directory)]
        completed = proc.run(args, what=what)
        return completed.stdout.decode("utf-8")

    @property
    def is_kubectl(self) -> bool:
        return Path(self.command[0]).name.startswith("kubectl")


@functools.cache
def find_kustomize(prefer: Sequence[str] = ("kustomize", "kubectl")) -> Kustomize:
    """Find kustomize once per process: ``kustomize`` on PATH, else ``kubectl kustomize``."""
    for name in prefer:
        found = proc.which(name)
        if found is None:
            continue
        return Kustomize((found,) if name == "kustomize" else (found, "kustomize"))
    raise ToolError(
        "neither `kustomize` nor `kubectl` is on PATH",
        hint="install kustomize (https://kubectl.docs.kubernetes.io/installation/kustomize/) "
        "or kubectl, which bundles it",
    )
