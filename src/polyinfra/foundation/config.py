"""Loading the foundation stack configuration from ``Pulumi.<stack>.yaml`` (offline, with
file:line:col for every error) or from the Pulumi runtime config (in the program).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from polyinfra.errors import UserError, UserErrors
from polyinfra.foundation import argspec, references
from polyinfra.foundation.keys import (
    split_namespaces,
    validate_raw,
)
from polyinfra.foundation.model import (
    PULUMI_STACK_KEYS,
    Findings,
    StackConfig,
)
from polyinfra.suggest import closest
from polyinfra.yamlio import (
    Bounds,
    YamlDocument,
    load_file,
    load_text,
    read_stack_file,
    read_text,
    stack_document,
)
from polyinfra.yamlio.stack import anchored_config_keys, checked_stack_document

# --- loading ---------------------------------------------------------------------------------


def stack_file(program_dir: Path, stack: str) -> Path:
    """``<program_dir>/Pulumi.<stack>.yaml``."""
    return program_dir / f"Pulumi.{stack}.yaml"


def stack_name_of(path: Path) -> str:
    """``Pulumi.sandbox.yaml`` -> ``sandbox``."""
    name = path.name
    for suffix in (".yaml", ".yml"):
        if name.startswith("Pulumi.") and name.endswith(suffix):
            return name[len("Pulumi.") : -len(suffix)]
    raise UserError(
        f"{path}: not a Pulumi stack file",
        hint="stack files are named Pulumi.<stack>.yaml, next to Pulumi.yaml",
    )


def load_stack_config(
    path: Path,
    *,
    program_dir: Path | None = None,
    bounds: Bounds | None = None,
    outputs_of: references.OutputsOf | None = None,
) -> StackConfig:
    """Load and validate the stack file ``path`` (``.../Pulumi.<stack>.yaml``).

    Every problem is reported at once as :class:`UserErrors`, each with file:line:col, the key
    path and a hint. ``program_dir`` (default: the file's folder) is where ``schema_file`` and
    dashboard files are resolved. ``bounds`` (default: those of the workspace around the
    file) says where the files read may be and how large. With ``outputs_of``, cross-stack
    references (``${platform.gcp_project}``, :mod:`polyinfra.foundation.references`) are
    resolved through it before validation; without, they are validated as written.
    """
    folder = program_dir or path.parent
    bounds = bounds or _bounds_of(folder)
    # the loader every command reads stack files with
    text, doc = read_stack_file(path, bounds=bounds)
    return stack_config_of(text, doc, program_dir=folder, bounds=bounds, outputs_of=outputs_of)


def stack_config_of(
    text: str,
    doc: YamlDocument,
    *,
    program_dir: Path,
    bounds: Bounds,
    outputs_of: references.OutputsOf | None = None,
) -> StackConfig:
    """The config of a stack file already read (``text``) and loaded (``doc``), so that a
    command reading the document for itself parses the file once."""
    checked_stack_document(doc)
    return _from_document(
        doc,
        stack_name_of(doc.path),
        program_dir,
        text,
        pulumi_project(program_dir, bounds),
        bounds,
        outputs_of,
    )


def load_stack_text(
    text: str,
    path: Path,
    *,
    stack: str | None = None,
    program_dir: Path | None = None,
    outputs_of: references.OutputsOf | None = None,
) -> StackConfig:
    """Like :func:`load_stack_config` for stack-file text (e.g. read from a git revision)."""
    doc = stack_document(text, path)
    stack = stack or stack_name_of(path)
    folder = program_dir or path.parent
    bounds = _bounds_of(folder)
    project = pulumi_project(folder, bounds)
    return _from_document(doc, stack, folder, text, project, bounds, outputs_of)


def _bounds_of(folder: Path) -> Bounds:
    from polyinfra.workspace.bounds import bounds_of

    return bounds_of(folder)


def pulumi_project(program_dir: Path, bounds: Bounds | None = None) -> str | None:
    """``name`` in the program's ``Pulumi.yaml`` (None when there is no readable one): the
    namespace ``pulumi config set key`` writes to."""
    for candidate in ("Pulumi.yaml", "Pulumi.yml"):
        path = program_dir / candidate
        if path.is_file():
            try:
                data = load_file(path, bounds=bounds).data
            except UserError:
                return None
            name = data.get("name") if isinstance(data, dict) else None
            return name if isinstance(name, str) else None
    return None


def _from_document(
    doc: YamlDocument,
    stack: str,
    program_dir: Path,
    text: str,
    project: str | None,
    bounds: Bounds,
    outputs_of: references.OutputsOf | None = None,
) -> StackConfig:
    errors = Findings(doc, doc.path)
    data = doc.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(
            f"a stack file must be a mapping, got {argspec.describe(data)}",
            position=doc.position(()),
            hint="start the file with `config:`",
        )
    for key in data:
        if key not in PULUMI_STACK_KEYS:
            close = closest(str(key), PULUMI_STACK_KEYS)
            errors.items.append(
                UserError(
                    f"unknown top-level key '{key}'",
                    position=doc.position((key,)),
                    hint=f"did you mean '{close}'?" if close else "put settings under `config:`",
                )
            )
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise UserError(
            f"`config` must be a mapping, got {argspec.describe(config)}",
            position=doc.position(("config",), value=True),
        )
    if outputs_of is not None and references.mentioned(text):
        try:
            config = references.resolve(config, doc, outputs_of, project=project)
        except UserError as exc:
            found = [*errors.items, *(exc.errors if isinstance(exc, UserErrors) else [exc])]
            raise found[0] if len(found) == 1 else UserErrors(found) from None
        # the values as resolved, the positions of the lines the user wrote
        doc = dataclasses.replace(doc, data={**data, "config": config})
        errors.doc = doc
    anchored = set(anchored_config_keys(text)) & set(config)
    raw = split_namespaces(mask_secrets(config), anchored, errors, project)
    return validate_raw(raw, stack, program_dir, errors, doc, bounds)


#: What an encrypted (``secure:``) value reads as offline: it cannot be decrypted without the
#: stack's secrets provider, and its ciphertext must not travel further.
SECRET_PLACEHOLDER = argspec.SECRET_PLACEHOLDER


def mask_secrets(value: Any) -> Any:
    """``value`` with every encrypted value (``{secure: ...}``, nested ones too) replaced by
    :data:`SECRET_PLACEHOLDER`."""
    if argspec.is_secret(value):
        return SECRET_PLACEHOLDER
    if isinstance(value, dict):
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    return value


def has_secret(value: Any) -> bool:
    """Whether ``value`` is or holds an encrypted value."""
    if argspec.is_secret(value):
        return True
    if isinstance(value, dict):
        return any(has_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(has_secret(item) for item in value)
    return False


# --- runtime ---------------------------------------------------------------------------------


def from_pulumi_config(program_dir: Path | None = None) -> StackConfig:
    """The stack configuration as the Pulumi runtime gives it to the program.

    Values come from the engine (so ``-c`` overrides and decrypted secrets count); positions
    for errors come from ``Pulumi.<stack>.yaml`` in the program folder when it exists.
    """
    import pulumi
    from pulumi.runtime.config import CONFIG, get_config_env

    stack = pulumi.get_stack()
    folder = program_dir or Path.cwd()
    file = stack_file(folder, stack)
    bounds = _bounds_of(folder)
    doc: YamlDocument | None = None
    file_text = ""
    if file.exists():
        try:
            file_text = read_text(file, bounds=bounds)
            doc = load_text(file_text, file)
        except UserError:
            doc = None
    config: dict[str, Any] = {}
    # The language host hands config over either as PULUMI_CONFIG or through set_all_config.
    for key, text in {**get_config_env(), **CONFIG.get()}.items():
        config[key] = _decode(text)
    if doc is not None:
        anchored = set(anchored_config_keys(file_text)) & set(config)
    else:
        # Without the file there is no telling anchors from typos: accept extra input: keys.
        anchored = set(config)
    errors = Findings(doc, file)
    from pulumi.runtime.config import get_config_secret_keys_env, is_config_secret

    # decrypted values are never parsed: a secret may hold `${` and must not be shown
    secrets = {k for k in config if is_config_secret(k)} | set(get_config_secret_keys_env())
    if references.mentioned(json.dumps(config, default=str)):
        organization = config.get(f"{pulumi.get_project()}:{ORGANIZATION_KEY}")
        outputs_of = stack_reference_outputs(folder, stack, str(organization or DEFAULT_ORG))
        config = references.resolve(
            config, doc, outputs_of, file=file, project=pulumi.get_project(), secret_keys=secrets
        )
    raw = split_namespaces(config, anchored, errors, pulumi.get_project())
    for key in secrets:
        namespace, _, name = key.partition(":")
        (raw["program"].get(namespace) or {}).pop(name, None)
    return validate_raw(raw, stack, folder, errors, doc, bounds)


#: The program's own config key (``<project>:stack_reference_organization``) naming the
#: Pulumi organization of the stacks its references read, and its default: the organization
#: of every stack on a self-managed backend.
ORGANIZATION_KEY = "stack_reference_organization"
DEFAULT_ORG = "organization"


def sibling_programs(program_dir: Path) -> dict[str, Path]:
    """The programs a stack file's references may name: the folders next to ``program_dir``
    (itself included) that hold a ``Pulumi.yaml``, by folder name."""
    parent = program_dir.resolve().parent
    if not parent.is_dir():
        return {}
    return {
        folder.name: folder
        for folder in sorted(parent.iterdir())
        if folder.is_dir()
        and not folder.name.startswith(".")
        and any((folder / name).is_file() for name in ("Pulumi.yaml", "Pulumi.yml"))
    }


def stack_reference_outputs(
    program_dir: Path, stack: str, organization: str
) -> references.OutputsOf:
    """At run time, each referenced program's outputs through a ``pulumi.StackReference`` to
    ``<organization>/<its Pulumi project name>/<stack>``, read with ``get_output_details``."""
    import pulumi

    own = program_dir.resolve().name

    def outputs_of(program: str) -> Mapping[str, Any]:
        siblings = sibling_programs(program_dir)
        if program not in siblings:
            raise references.unknown_program(program, sorted(siblings))
        if program == own:
            raise UserError(
                f"a cycle of references: {own} -> {own}",
                hint="a stack cannot read its own outputs: use the value itself",
            )
        project = pulumi_project(siblings[program]) or program
        name = f"{organization}/{project}/{stack}"
        return _StackOutputs(pulumi.StackReference(f"references-{program}", stack_name=name))

    return outputs_of


class _StackOutputs(Mapping[str, Any]):
    """The outputs of a referenced stack, each read once when first asked for."""

    def __init__(self, reference: Any) -> None:
        self._reference = reference
        self._values: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        from pulumi.runtime.sync_await import _sync_await

        if name not in self._values:
            details = _sync_await(self._reference.get_output_details(name))
            value = details.value if details.value is not None else details.secret_value
            if value is None:
                raise KeyError(name)
            self._values[name] = value
        return self._values[name]

    def _names(self) -> list[str]:
        from pulumi.runtime.sync_await import _sync_await

        return sorted(_sync_await(self._reference.outputs.future()) or {})

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def _decode(text: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars stay strings."""
    if isinstance(text, str) and text[:1] in "{[":
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text
