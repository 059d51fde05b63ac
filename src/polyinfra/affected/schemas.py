"""Editor schemas next to the stack files: files outside the bricks and projects that no
Pulumi program reads, so changing them affects nothing."""

from __future__ import annotations

import posixpath
import re

from polyinfra.errors import RefusedFile, UserError
from polyinfra.workspace import Workspace
from polyinfra.yamlio.text import read_text

_MODELINE = re.compile(r"^[ \t]*#[ \t]*yaml-language-server:[ \t]*\$schema=(\S+)", re.M)


def outside_bricks(path: str) -> bool:
    return path.split("/", 1)[0] not in ("bases", "components", "projects")


def editor_schemas(ws: Workspace) -> dict[str, str]:
    """Editor schemas of the stack files, each with the reason it is not a program input: the
    file `polyinfra init` writes next to the stack files, and any local file a stack file's
    ``# yaml-language-server: $schema=`` modeline names (resolved from the stack file's
    folder, as the editor resolves it)."""
    from polyinfra.scaffold.init import SCHEMA_FILE

    schemas: dict[str, str] = {}
    for program in ws.programs:
        schemas[f"{ws.rel(program.path)}/{SCHEMA_FILE}"] = (
            "JSON Schema of the stack files for editors (written by `polyinfra init` and "
            "`polyinfra schema`): the Pulumi program does not read it"
        )
        for stack_file in program.stacks.values():
            try:
                text = read_text(stack_file, bounds=ws.bounds)
            except (UserError, RefusedFile):
                continue  # gone since discovery: it names no schema
            folder = posixpath.dirname(ws.rel(stack_file))
            for match in _MODELINE.finditer(text):
                target = match.group(1)
                if "://" in target or target.startswith("/"):
                    continue
                rel = posixpath.normpath(posixpath.join(folder, target))
                # a file inside a brick or project may be in an image: it stays theirs
                if not rel.startswith("../") and outside_bricks(rel):
                    schemas.setdefault(
                        rel,
                        "JSON Schema that the yaml-language-server modeline of "
                        f"{ws.rel(stack_file)} names, for editors: the Pulumi program does not "
                        "read it",
                    )
    return schemas
