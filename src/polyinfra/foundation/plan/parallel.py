"""Plans made in separate processes: the Pulumi runtime is process-global, so stacks are
planned side by side only in processes of their own, and only when there are several stacks
and several CPUs.

A child is a fresh interpreter running this module (``python -m``), not a
``multiprocessing`` spawn: spawn runs the parent's main script again in the child, which an
unguarded script calling ``check_workspace`` does not survive. The plan comes back as the
cache's JSON form (:func:`~polyinfra.foundation.plan.cached.plan_to_json`), exactly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from polyinfra.foundation.plan.model import Plan
from polyinfra.proc import usable_cpus

__all__ = ["PlansInProcesses", "main", "usable_cpus"]


class PlansInProcesses:
    """``plan_stack(program_dir, stack)`` for each of ``stacks``, each in a process of its own,
    all started at once; :meth:`results` waits for them. A stack whose plan failed (or could
    not travel back exactly) has None: the caller plans it itself, for the error as it reports
    it in-process (with the user's traceback line)."""

    def __init__(self, stacks: Sequence[tuple[Path, str]]) -> None:
        env = dict(os.environ)
        # the child imports what this process imports, from the same places; not from the
        # folder of the script that started this process (sys.path[0]) nor from the current
        # folder (-P): a file there named like a module (types.py) would be imported instead
        # (under -P or PYTHONSAFEPATH, sys.path[0] is no such folder: it is kept)
        paths = sys.path if sys.flags.safe_path else sys.path[1:]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
        self._children = [
            subprocess.Popen(
                [sys.executable, "-P", "-m", __name__, str(folder), stack],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                stdin=subprocess.DEVNULL,
                env=env,
            )
            for folder, stack in stacks
        ]

    def results(self) -> list[Plan | None]:
        """Each stack's plan, in order (None where it failed)."""
        from polyinfra.foundation.plan.cached import plan_from_json

        found: list[Plan | None] = []
        try:
            for child in self._children:
                out, _ = child.communicate()
                plan = None
                if child.returncode == 0 and out:
                    try:
                        plan = plan_from_json(json.loads(out))
                    except (ValueError, KeyError, TypeError):
                        plan = None
                found.append(plan)
        finally:
            self.close()
        return found

    def close(self) -> None:
        """Stop the children still planning."""
        for child in self._children:
            if child.returncode is None:
                child.kill()
                child.communicate()


def main(argv: Sequence[str]) -> int:
    """In the child: print the plan of stack ``argv[1]`` of the program in ``argv[0]``; exit
    1 without output when it fails in any way (the parent plans it again and reports why)."""
    from polyinfra.foundation.plan.cached import plan_to_json
    from polyinfra.foundation.plan.run import plan_stack

    program_dir, stack = argv
    try:
        plan = plan_stack(Path(program_dir), stack)
        text = json.dumps(plan_to_json(plan), ensure_ascii=False)
    except BaseException:  # the parent plans it again and reports the error
        return 1
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
