"""``manifest/unrendered-template``: a manifest that still holds template placeholders."""

from __future__ import annotations

from collections.abc import Iterator

from polyinfra.checks.context import CheckContext, Manifest
from polyinfra.checks.problem import Level, Problem
from polyinfra.checks.rules.manifest.templates import templated_values

_SHOWN = 3


class UnrenderedTemplate:
    """Cloud Run deploys a manifest as written: placeholders (``${VAR}``, ``%VAR%``,
    ``{{ .Values.x }}``, ``*_PLACEHOLDER``, ``IMAGE_URL``, ``ALL_CAPS`` tokens in an image,
    service account or namespace) must be substituted first. Reported once per object, at the
    first placeholder; a template that is not even YAML before rendering is reported here too.
    Lint an app folder (polyinfra renders it) or the rendered output instead.

    Shell variables in ``command``/``args`` are not placeholders: they are the shell's.

    Cloud Run rejects an image, name or label that still holds a placeholder, and runs any other
    placeholder as the literal text, which breaks at run time.

    Bad::

        spec:
          template:
            spec:
              serviceAccountName: ${SERVICE_ACCOUNT}
              containers:
                - image: gcr.io/PROJECT_ID/api:v1

    Good::

        spec:
          template:
            spec:
              serviceAccountName: api@acme-prod.iam.gserviceaccount.com
              containers:
                - image: gcr.io/acme-prod/api:v1
    """

    ID = "manifest/unrendered-template"
    LEVEL = Level.ERROR

    def check(self, ctx: CheckContext) -> Iterator[Problem]:
        for item in ctx.unreadable:
            if item.placeholder is not None:
                token, position = item.placeholder
                yield Problem(
                    position,
                    self.ID,
                    f"unrendered template ({token}); it is not YAML until rendered: {item.message}",
                    hint="render the template, then lint the output",
                )
        for manifest in ctx.manifests:
            found = list(templated_values(manifest.data))
            if not found:
                continue
            tokens: list[str] = []
            for _, values in found:
                tokens += [t for t in values if t not in tokens]
            shown = ", ".join(tokens[:_SHOWN])
            more = f" and {len(tokens) - _SHOWN} more" if len(tokens) > _SHOWN else ""
            yield Problem(
                manifest.position(found[0][0], value=True),
                self.ID,
                f"unrendered template: placeholder{'s' if len(tokens) > 1 else ''} "
                f"{shown}{more} must be substituted before deploy",
                hint=_hint(manifest, tokens),
            )


def _hint(manifest: Manifest, tokens: list[str]) -> str:
    """What to do: a rendered app's ``*_PLACEHOLDER`` gets a value per environment from the
    workspace settings (render replaces it); anything else is rendered first."""
    if not manifest.rendered:
        return "lint the app folder (polyinfra renders it) or the rendered output"
    named = [t for t in tokens if t.endswith("_PLACEHOLDER")]
    if not named:
        return "write the value in the overlay (kustomize patches or images:)"
    env = manifest.env or "<env>"
    return (
        f"declare {'each' if len(named) > 1 else 'it'} under [tool.polyinfra.placeholders.{env}] "
        f'in infrastructure/pyproject.toml ({named[0]} = "..."; render replaces it) '
        "or replace it in the overlay"
    )
