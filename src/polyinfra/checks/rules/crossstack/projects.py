"""Apps and Polylith projects match up: every app builds a project, every built project is
deployed by an app."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import kustomization_file


class AppProjectExists:
    """Every app deploys a Polylith project under ``projects/``: the folder with the app's
    name (``-`` and ``_`` alike), or the one ``[tool.polyinfra.apps.<app>] project`` names.

    The image an app runs is built from its project's Dockerfile; an app with no project has
    nothing to build.

    Bad::

        infrastructure/cloudrun_job/dmd-inv-mov-api2bq/   # no projects/dmd_inv_mov_api2bq

    Good::

        [tool.polyinfra.apps."dmd-inv-mov-api2bq"]
        project = "dmd_ingest"
    """

    ID = "crossstack/app-project-exists"
    LEVEL = Level.ERROR
    AREA = "crossstack"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        for app in ws.apps.values():
            if app.project is not None:
                continue
            base = kustomization_file(app.base) or app.base
            yield Problem(
                Position(base, 1, 1),
                self.ID,
                f"app {app.name!r} has no project under projects/"
                f"{did_you_mean(app.name.replace('-', '_'), ws.projects)}",
                hint=f"create projects/{app.name.replace('-', '_')}/, or set "
                f'[tool.polyinfra.apps."{app.name}"] project = "<folder>" in '
                "infrastructure/pyproject.toml",
            )


class ProjectWithoutApp:
    """Every project with a Dockerfile is deployed by some app.

    A Dockerfile means an image is built for the project; with no Cloud Run app under
    ``infrastructure/`` it is built and pushed for nothing, or its app was renamed without
    updating the mapping.

    Bad::

        projects/stock_webhook/Dockerfile          # no infrastructure/cloudrun_*/stock-webhook/

    Good::

        projects/stock_webhook/Dockerfile
        infrastructure/cloudrun_function/stock-webhook/overlays/production/kustomization.yaml
    """

    ID = "crossstack/project-without-app"
    LEVEL = Level.WARNING
    AREA = "crossstack"

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        ws = ctx.workspace
        if ws is None:
            return
        deployed = {app.project for app in ws.apps.values()}
        for project in ws.projects.values():
            if project.dockerfile is None or project.name in deployed:
                continue
            yield Problem(
                Position(project.dockerfile, 1, 1),
                self.ID,
                f"project {project.name!r} has a Dockerfile but no app deploys it",
                hint=f"add an app under infrastructure/cloudrun_*/{project.name.replace('_', '-')}/"
                ", map an app to it with [tool.polyinfra.apps.<app>] project, or delete the "
                "Dockerfile",
            )
