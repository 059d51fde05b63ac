"""Rules about the workspace layout the spec prescribes: ``infrastructure/``, its pyproject,
the Pulumi project, app folders and overlays, and what each project's Dockerfile copies."""
