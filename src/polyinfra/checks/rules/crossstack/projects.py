"""Apps and Polylith projects match up: every app builds a project, every built project is
deployed by an app."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rule import WorkspaceRule
from polyinfra.positions import Position
from polyinfra.suggest import did_you_mean
from polyinfra.workspace import App, Workspace, kustomization_file


class AppProjectExists(WorkspaceRule):
    """Every app deploys a Polylith project under ``projects/``: the one
    ``[tool.polyinfra.apps.<app>] project`` names, else the folder with the app's name (``-``
    and ``_`` alike), else the one the foundation stack files link it to.

    The stack files link an app to project ``P`` (the spec's ``input:projects`` keys are the
    project names) when ``input:projects.P`` creates the service account the app's overlay
    runs as, or has a ``cloud_scheduler`` entry whose ``target_job`` is the app; only when
    every such entry, in every stack file, is the same ``P`` and ``projects/P`` exists. When
    they name several entries, the message lists each, with the stack file line.

    A warning, not an error: Cloud Run and Pulumi accept such an app, and ``render`` and
    ``deploy`` work when its manifests name the image it runs or ``--image`` gives one. What is
    lost is the build: the generated CI builds one image per project, so no workflow builds or
    rebuilds this app's image, and a deploy that expects one (``<registry>/<app>:<version>``)
    finds none unless something else pushes it. An image set at deploy time that no stack
    registry can supply fails every render: ``crossstack/image-registry`` reports that as an
    error.

    Bad::

        infrastructure/cloudrun_job/dmd-inv-mov-api2bq/   # no projects/dmd_inv_mov_api2bq,
                                                          # no stack entry runs it

    Good::

        [tool.polyinfra.apps."dmd-inv-mov-api2bq"]
        project = "dmd_ingest"

    Good::

        # projects/dmd_ingest exists, and the stack files link the job to it
        input:projects:
          dmd-ingest:
            cloud_scheduler:
              - name: dmd-inv-mov
                target_job: dmd-inv-mov-api2bq
    """

    ID = "crossstack/app-project-exists"
    LEVEL = Level.WARNING

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in ws.apps.values():
            if app.project is not None:
                continue
            base = kustomization_file(app.base) or app.base
            folder = app.name.replace("-", "_")
            yield Problem(
                Position(base, 1, 1),
                self.ID,
                f"app {app.name!r} has no project under projects/"
                + (
                    _evidence(ws, app)
                    if app.project_evidence
                    else did_you_mean(folder, ws.projects) + _unread(ctx, app)
                ),
                hint=f"create projects/{folder}/, or set "
                f'[tool.polyinfra.apps."{app.name}"] project = "<folder>" in '
                "infrastructure/pyproject.toml",
            )


def _unread(ctx: CheckContext, app: App) -> str:
    """The stack files of the app's environments that could not say which project it deploys:
    they do not validate (the config rules report why)."""
    invalid = sorted(
        {
            stack.path.name
            for stack in ctx.stacks
            if stack.env in app.overlays and stack.document is not None and stack.model is None
        }
    )
    if not invalid:
        return ""
    return (
        f" ({', '.join(invalid)}, which may link it to one, does not validate)"
        if len(invalid) == 1
        else f" ({', '.join(invalid)}, which may link it to one, do not validate)"
    )


def _evidence(ws: Workspace, app: App) -> str:
    """Why the stack files' evidence links the app to no project."""
    keys = sorted({item.key for item in app.project_evidence})
    if len(keys) == 1:
        return (
            f": the stack files link it to input:projects.{keys[0]}, but there is no project "
            f"{keys[0]!r}{did_you_mean(keys[0], ws.projects)}"
        )
    said = "; ".join(
        f"{item.position.relative_to(ws.root)}: {item.reason}" for item in app.project_evidence
    )
    return f", and the stack files disagree on which: {said}"


class ProjectWithoutApp(WorkspaceRule):
    """Every project with a Dockerfile is deployed by some app.

    A Dockerfile means an image is built for the project; with no Cloud Run app under
    ``infrastructure/`` it is built and pushed for nothing, or its app was renamed without
    updating the mapping. A workspace with no app at all is not checked: it has not adopted
    the application stack yet.

    Bad::

        projects/stock_webhook/Dockerfile          # no infrastructure/cloudrun_*/stock-webhook/

    Good::

        projects/stock_webhook/Dockerfile
        infrastructure/cloudrun_function/stock-webhook/overlays/production/kustomization.yaml
    """

    ID = "crossstack/project-without-app"
    LEVEL = Level.WARNING

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        if not ws.apps:
            return  # nothing deployed yet: adoption starts with `polyinfra add`, not per project
        deployed = {app.project for app in ws.apps.values()}
        for project in ws.projects.values():
            if project.dockerfile is None or project.name in deployed:
                continue
            name = project.name.replace("_", "-")
            yield Problem(
                Position(project.dockerfile, 1, 1),
                self.ID,
                f"project {project.name!r} has a Dockerfile but no app deploys it",
                hint=f"add one with `polyinfra add service {name} --project {project.name}` "
                "(or job, function), or map an app to it with [tool.polyinfra.apps.<app>] "
                f'project = "{project.name}" in infrastructure/pyproject.toml',
            )


class ProjectDockerfile(WorkspaceRule):
    """The project an app deploys has a Dockerfile: CI builds the app's image from it.

    Without one no workflow builds the image, and a deploy runs a tag that was never pushed:
    Cloud Run accepts the manifest and the revision fails to start, "image not found". An
    error, at the app's base, naming the project. Functions are no exception: their image is
    built from the project's Dockerfile too. `polyinfra add` writes the spec's Dockerfile for
    a project that has none (`polyinfra sync dockerfile` only keeps an existing one's brick
    lines current); an app with no project (its manifests name the image) is
    ``crossstack/app-project-exists``'s business.

    Bad::

        infrastructure/cloudrun_service/stock-api/...   # deploys projects/stock_api/
        projects/stock_api/pyproject.toml                # and no Dockerfile

    Good::

        projects/stock_api/Dockerfile
    """

    ID = "crossstack/project-dockerfile"
    LEVEL = Level.ERROR

    def check_workspace(self, ws: Workspace, ctx: CheckContext) -> Iterator[Problem]:
        for app in sorted(ws.apps.values(), key=lambda a: a.name):
            if ctx.only_apps is not None and app.name not in ctx.only_apps:
                continue
            project = ws.projects.get(app.project) if app.project else None
            if project is None or project.dockerfile is not None:
                continue
            base = kustomization_file(app.base) or app.base / "kustomization.yaml"
            yield Problem(
                Position(base, 1, 1),
                self.ID,
                f"app {app.name!r} deploys project {project.name!r}, which has no Dockerfile: "
                "no workflow can build its image",
                hint=f"create {ws.rel(project.path)}/Dockerfile: `polyinfra add {app.kind} "
                f"{app.name} --project {project.name} --force` writes the spec's one, and "
                "rewrites the app's manifests too (see what it would write with --dry-run)",
            )
