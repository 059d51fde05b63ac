"""Planning a stack, or every stack of a workspace, offline: the stack file is validated
first, then the program runs under mocks (:mod:`polyinfra.foundation.plan.mocks`)."""

from __future__ import annotations

import json
import os
import runpy
import sys
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.foundation.config import (
    has_secret,
    load_stack_config,
    mask_secrets,
    pulumi_project,
    sibling_programs,
    stack_file,
)
from polyinfra.foundation.keys import parse_config_key
from polyinfra.foundation.model import StackConfig
from polyinfra.foundation.plan.mocks import (
    STAND_IN_PROJECT_NUMBER,
    run_under_mocks,
)
from polyinfra.foundation.plan.model import (
    Plan,
    PlanNote,
)
from polyinfra.foundation.references import OutputsOf, unknown_program
from polyinfra.positions import Position


def pulumi_project_name(program_dir: Path) -> str:
    """``name`` from ``Pulumi.yaml`` (the folder name when there is none)."""
    return pulumi_project(program_dir) or program_dir.resolve().name


def runtime_config_values(config: StackConfig) -> tuple[dict[str, str], list[str]]:
    """The stack file's config as the Pulumi engine hands it to a program: every namespace
    (polyinfra's and the program's own), keys as ``<namespace>:<name>``, objects as JSON.

    Encrypted values cannot be decrypted offline: the program sees ``[secret]`` in their place
    (inside objects too), under a key marked secret, and the ciphertext goes nowhere.
    """
    doc_config: dict[str, Any] = {}
    data = config.document.data if config.document is not None else None
    if isinstance(data, dict) and isinstance(data.get("config"), dict):
        doc_config = data["config"]
    values: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in doc_config.items():
        parsed = parse_config_key(str(key))
        if parsed is None:
            continue
        name = ":".join(parsed)
        if has_secret(value):
            secret_keys.append(name)
        masked = mask_secrets(value)
        values[name] = masked if isinstance(masked, str) else json.dumps(masked)
    return values, secret_keys


@dataclass
class ReferencedPlans:
    """The offline plans of the programs that stack files reference, each computed once per
    command (by program folder and stack), and those being computed, to tell a cycle."""

    plans: dict[tuple[Path, str], Plan] = field(default_factory=dict)
    failed: dict[tuple[Path, str], UserError] = field(default_factory=dict)
    loading: list[tuple[Path, str]] = field(default_factory=list)

    def outputs_of(self, program_dir: Path, stack: str) -> OutputsOf:
        """What resolves the references of ``program_dir``'s stack ``stack``: a program's
        outputs are those of its plan of the same stack."""
        own = (program_dir.resolve(), stack)

        def outputs(program: str) -> Mapping[str, Any]:
            siblings = sibling_programs(program_dir)
            if program not in siblings:
                raise unknown_program(program, sorted(siblings))
            target = (siblings[program].resolve(), stack)
            chain = self.loading if self.loading[-1:] == [own] else [*self.loading, own]
            if target in chain:
                loop = [folder.name for folder, _ in chain[chain.index(target) :]]
                raise UserError(
                    f"a cycle of references between programs: {' -> '.join([*loop, program])}",
                    hint="a program may read another's outputs only if that one does not read "
                    "its own, directly or through others: keep the value in one of them",
                )
            if target in self.plans:
                return self.plans[target].outputs
            if target in self.failed:
                raise self.failed[target]
            file = stack_file(target[0], stack)
            if not file.is_file():
                raise UserError(
                    f"the {own[0].name} stack references {program}, but {program} has no "
                    f"{file.name} ({file})",
                    hint=f"create {file.name} in {program}/ (references read the stack of the "
                    "same name), or remove the reference",
                )
            outer = self.loading
            self.loading = [*chain, target]
            try:
                self.plans[target] = plan_stack(target[0], stack, plans=self)
            except UserError as exc:
                self.failed[target] = exc
                raise
            finally:
                self.loading = outer
            return self.plans[target].outputs

        return outputs


def plan_stack(
    program_dir: Path,
    stack: str,
    *,
    config: StackConfig | None = None,
    use_main: bool = True,
    plans: ReferencedPlans | None = None,
) -> Plan:
    """Plan ``stack`` of the Pulumi program in ``program_dir`` offline.

    Validates ``Pulumi.<stack>.yaml`` first (every error at once, with positions), then runs the
    program's ``__main__.py`` (or :func:`polyinfra.foundation.run` when there is none or
    ``use_main`` is false) under recording mocks. Cross-stack references in the stack file are
    resolved from the plans of the programs they name (``plans``: those already made in this
    command).
    """
    from polyinfra.foundation import program as foundation_program

    if config is None:
        plans = plans or ReferencedPlans()
        config = load_stack_config(
            stack_file(program_dir, stack),
            program_dir=program_dir,
            outputs_of=plans.outputs_of(program_dir, stack),
        )
    main = program_dir / "__main__.py"
    values, secret_keys = runtime_config_values(config)

    def body() -> None:
        if use_main and main.is_file():
            _run_main(main)
        else:
            foundation_program.run(config)

    with foundation_program.preloaded(config):
        resources, outputs = run_under_mocks(
            body,
            project=pulumi_project_name(program_dir),
            stack=stack,
            gcp_project=config.project,
            config=values,
            secret_keys=secret_keys,
        )
    return Plan(
        stack=stack,
        project=config.project,
        resources=tuple(resources),
        outputs=outputs,
        warnings=(*config.warnings, *plan_notes(config)),
    )


def plan_notes(config: StackConfig) -> list[PlanNote]:
    """What a plan of ``config`` says about its own values: where the project number naming
    the Cloud Scheduler service agent comes from (the stack file, or the stand-in)."""
    from polyinfra.foundation.builders.scheduler_jobs import project_number_source

    notes = []
    source = project_number_source(config, STAND_IN_PROJECT_NUMBER)
    if source is not None:
        path, message = source
        notes.append(PlanNote(config.position(path), message))
    return notes


def _run_main(main: Path) -> None:
    """Run a program's ``__main__.py`` the way the Pulumi Python host does (cwd and path)."""
    main = main.resolve()
    folder = str(main.parent)
    previous_cwd = Path.cwd()
    sys.path.insert(0, folder)
    os.chdir(folder)
    try:
        runpy.run_path(str(main), run_name="__main__")
    except PolyinfraError:
        raise
    except Exception as exc:
        # The user's program failed: say where in their code, not with our traceback.
        hint = "fix the program (it runs exactly like this under `pulumi up`)"
        if isinstance(exc, ModuleNotFoundError):
            hint = (
                "the plan runs the program in polyinfra's own Python environment: install the "
                "program's dependencies there (its requirements.txt or pyproject.toml)"
            )
        raise UserError(
            f"the Pulumi program failed: {type(exc).__name__}: {exc}",
            position=_innermost_frame(exc, main.parent) or Position(main),
            hint=hint,
        ) from exc
    finally:
        os.chdir(previous_cwd)
        if folder in sys.path:
            sys.path.remove(folder)


def _innermost_frame(exc: BaseException, folder: Path) -> Position | None:
    """The last traceback frame inside ``folder``: the user's line that failed."""
    found: Position | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve().is_relative_to(folder):
            found = Position(Path(frame.filename), frame.lineno or 0)
    return found
