"""Render overlays with the real kustomize in a temporary copy: set the image, build (a whole
environment in one run where it is safe), split per app, replace placeholders."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from polyinfra import proc
from polyinfra.errors import ToolError, UserError, UserErrors
from polyinfra.manifests.documents import (
    _split,
)
from polyinfra.manifests.images import ImageSetting, parse_set_image, set_image
from polyinfra.manifests.kustomize import Kustomize, find_kustomize
from polyinfra.manifests.placeholders import (
    VERSION_PLACEHOLDER,
    check_placeholders,
    check_version,
    find_leftovers,
    has_leftovers,
    substitute,
)
from polyinfra.manifests.placement import first_image_name, image_placements, refuse_unplaced
from polyinfra.manifests.provenance import Identity
from polyinfra.manifests.rendered import (
    RenderedApp,
    RenderOptions,
    RenderRequest,
    RenderResult,
)
from polyinfra.manifests.tree import KustomizeTree, load_tree
from polyinfra.realpaths import real, resolving
from polyinfra.workspace.model import kustomization_file
from polyinfra.yamlio import Bounds, format_path


def render(
    requests: Sequence[RenderRequest],
    options: RenderOptions,
    *,
    kustomize: Kustomize | None = None,
) -> RenderResult:
    """Render every request; UserError/ToolError on bad input or a kustomize failure.

    The user's files are only read: everything is copied to a temporary folder first. The
    image goes where ``kustomize edit set image IMAGE_URL=<image>`` puts it; an explicit image
    that no container takes that way goes into the app's container (see
    :func:`~polyinfra.manifests.placement.image_placements`), with a second kustomize run for
    those apps.
    """
    check_version(options.version)
    check_placeholders(options.placeholders, "placeholders")
    # the overlays share their bases' folders: each is resolved once, for this render only
    with resolving():
        bounds = _bounds(requests)
        trees = [
            load_tree(r.overlay, fast=True, objects=False, bounds=b)
            for r, b in zip(requests, bounds, strict=True)
        ]
        _refuse_remote(requests, trees, options)
        names = [first_image_name(r, tree) for r, tree in zip(requests, trees, strict=True)]
        settings = [parse_set_image(f"{n}={r.image}") for r, n in zip(requests, names, strict=True)]
        kustomize = kustomize or find_kustomize()
        replacements = {VERSION_PLACEHOLDER: options.version, **options.placeholders}
        with tempfile.TemporaryDirectory(prefix="polyinfra-render-", dir=_scratch()) as tmp:
            copy = _Copy(Path(tmp), trees, bounds=trees[0].bounds if trees else None)
            for tree, setting in zip(trees, settings, strict=True):
                _apply_image(copy.of(tree.overlay.directory), setting)
            outputs, runs, batched, single = _build(requests, trees, copy, kustomize, options.batch)
            placements = image_placements(requests, trees, outputs)
            if placements:
                again = sorted(placements)
                for i in again:
                    setting = parse_set_image(f"{placements[i]}={requests[i].image}")
                    _apply_image(copy.of(trees[i].overlay.directory), setting)
                texts, more, batched_again, single_again = _build(
                    [requests[i] for i in again],
                    [trees[i] for i in again],
                    copy,
                    kustomize,
                    options.batch,
                )
                runs += more
                moved = {requests[i].app for i in again}
                batched = [a for a in batched if a not in moved] + batched_again
                single = {a: why for a, why in single.items() if a not in moved} | single_again
                for i, text in zip(again, texts, strict=True):
                    outputs[i] = text
                    names[i] = placements[i]
                refuse_unplaced(requests, trees, outputs, placements)
    rendered: list[RenderedApp] = []
    for i, (r, name, tree) in enumerate(zip(requests, names, trees, strict=True)):
        text, outputs[i] = outputs[i], ""  # one copy of each output is kept: the final text
        rendered.append(
            RenderedApp(
                app=r.app,
                env=r.env,
                overlay=r.overlay,
                image=r.image,
                text=substitute(text, replacements),
                image_name=name,
                bounds=tree.bounds,
            )
        )
        del text
    apps = tuple(rendered)
    if options.check_leftovers:
        _refuse_leftovers(apps)
    return RenderResult(apps, runs, tuple(batched), single)


def _bounds(requests: Sequence[RenderRequest]) -> list[Bounds]:
    """The bounds of each request's workspace, looked up once per workspace (the requests of
    one render are nearly always the apps of one workspace)."""
    from polyinfra.workspace.bounds import bounds_of

    known: list[Bounds] = []
    found: list[Bounds] = []
    for request in requests:
        overlay = _real(request.overlay)
        bounds = next((b for b in known if b.root and overlay.is_relative_to(b.root)), None)
        if bounds is None:
            bounds = bounds_of(request.overlay)
            known.append(bounds)
        found.append(bounds)
    return found


def _scratch() -> str | None:
    """Where the copy goes: $TMPDIR when set, else /dev/shm when writable (a copy of a few
    hundred small folders is created and removed per render: on a disk file system the
    removal alone costs more than the kustomize run), else the system default."""
    if os.environ.get("TMPDIR"):
        return None
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


def _refuse_remote(
    requests: Sequence[RenderRequest], trees: Sequence[KustomizeTree], options: RenderOptions
) -> None:
    if options.allow_remote_resources or not any(tree.remote for tree in trees):
        return
    # again, with positions for the errors
    trees = [load_tree(r.overlay, bounds=t.bounds) for r, t in zip(requests, trees, strict=True)]
    errors = [
        UserError(
            f"{r.app} ({r.env}): remote {ref.field} entry {ref.value!r} is not allowed",
            position=ref.position,
            hint="vendor it into the workspace, or set `allow_remote_resources = true` under "
            "[tool.polyinfra] in infrastructure/pyproject.toml",
        )
        for r, tree in zip(requests, trees, strict=True)
        for ref in tree.remote
    ]
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)


def _apply_image(overlay_copy: Path, setting: ImageSetting) -> None:
    path = kustomization_file(overlay_copy)
    if path is not None:
        set_image(path, setting)


def _real(folder: Path) -> Path:
    """``folder.resolve()``, asked for several times per folder during one render (from memory
    inside :func:`~polyinfra.realpaths.resolving`)."""
    return real(folder)


class _Copy:
    """The kustomization folders of every tree under one temporary root, relative layout kept
    (so ``../../base`` still resolves). Overlays, whose kustomization is edited, and folders
    holding one are copied; other folders (bases, components) are only read by kustomize and
    are linked, not copied."""

    def __init__(
        self, tmp: Path, trees: Sequence[KustomizeTree], bounds: Bounds | None = None
    ) -> None:
        folders = sorted(
            {_real(d) for t in trees for d in t.directories}, key=lambda p: len(p.parts)
        )
        overlays = {_real(t.overlay.directory) for t in trees}
        holding_overlay = {p for o in overlays for p in (o, *o.parents)}
        self.origin = Path(os.path.commonpath([str(p) for p in folders])) if folders else tmp
        self.root = tmp / "tree"
        self.tmp = tmp
        done: set[Path] = set()
        for folder in folders:  # shortest first: a folder inside a handled one is already there
            if any(parent in done for parent in folder.parents):
                continue
            target = self.root / folder.relative_to(self.origin)
            if folder in holding_overlay:
                shutil.copytree(
                    folder, target, dirs_exist_ok=True, ignore=_not_copied(bounds or Bounds())
                )
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(folder, target_is_directory=True)
            done.add(folder)

    def of(self, folder: Path) -> Path:
        return self.root / _real(folder).relative_to(self.origin)

    def original_text(self, text: str) -> str:
        """Kustomize messages name the copy; show the user's paths instead."""
        return text.replace(str(self.root), str(self.origin))


def _not_copied(bounds: Bounds) -> Callable[[str, list[str]], set[str]]:
    """What a copy of an overlay's folder leaves out: entries that are not regular files or
    folders once links are followed (a named pipe would fail the copy, a device fill it),
    files larger than the size limit, and links that lead out of the workspace or to a folder
    the copy is already inside. The tree was checked before: none of these is a file
    kustomize reads."""

    def ignore(folder: str, names: list[str]) -> set[str]:
        here = real(Path(folder))
        left_out: set[str] = set()
        for name in names:
            path = Path(folder) / name
            try:
                info = path.stat()
            except OSError:
                left_out.add(name)  # a dangling link
                continue
            if path.is_symlink():
                target = real(path)
                if bounds.root is not None and not target.is_relative_to(bounds.root):
                    left_out.add(name)
                    continue
                if stat.S_ISDIR(info.st_mode) and here.is_relative_to(target):
                    left_out.add(name)
                    continue
            if stat.S_ISDIR(info.st_mode):
                continue
            if not stat.S_ISREG(info.st_mode) or info.st_size > bounds.max_size:
                left_out.add(name)
        return left_out

    return ignore


def _build(
    requests: Sequence[RenderRequest],
    trees: Sequence[KustomizeTree],
    copy: _Copy,
    kustomize: Kustomize,
    batch: bool,
) -> tuple[list[str], int, list[str], dict[str, str]]:
    outputs: list[str | None] = [None] * len(requests)
    single: dict[int, str] = {}
    candidates: list[int] = []
    for i, tree in enumerate(trees):
        if not batch:
            single[i] = "batching off"
        elif tree.unpredictable:
            single[i] = "output not predictable: " + ", ".join(sorted(set(tree.unpredictable)))
        elif not tree.resource_files and not tree.objects:
            single[i] = "no resource files"
        else:
            candidates.append(i)
    runs = 0
    batched: list[int] = []
    if len(candidates) > 1:
        # The aggregate runs and reading the resource files (which says whose each output
        # object is) overlap: kustomize runs in processes of its own meanwhile, one per batch.
        batches = _batches(candidates, proc.usable_cpus())
        with ThreadPoolExecutor(max_workers=len(batches)) as pool:
            pending = [
                pool.submit(_run_batch, [trees[i] for i in members], copy, kustomize)
                for members in batches
            ]
            full = {i: trees[i].with_objects() for i in candidates}
            results = [p.result() for p in pending]
        runs += len(batches)
        clashes = _clashes(requests, full)
        single.update(clashes)
        for members, output in zip(batches, results, strict=True):
            group = [i for i in members if i not in clashes]
            if len(group) < len(members) and len(group) > 1:  # it held a side of a clash
                output = _run_batch([full[i] for i in group], copy, kustomize)
                runs += 1
            split = None
            if len(group) > 1 and output is not None:
                split = _split(output, [full[i] for i in group])
            if len(group) == 1:
                single.setdefault(group[0], "only app in its batch")
            elif split is None:
                for i in group:
                    single[i] = "batch output could not be attributed"
            else:
                for i, text in zip(group, split, strict=True):
                    outputs[i] = text
                batched.extend(group)
    else:
        for i in candidates:
            single.setdefault(i, "only app in its batch")
    alone = sorted(single)
    runs += len(alone)
    texts = _build_each([requests[i] for i in alone], [trees[i] for i in alone], copy, kustomize)
    for i, text in zip(alone, texts, strict=True):
        outputs[i] = text
    done = [text for text in outputs if text is not None]
    assert len(done) == len(requests)
    return (
        done,
        runs,
        [requests[i].app for i in batched],
        {requests[i].app: why for i, why in single.items()},
    )


#: The fewest apps a batch of its own is worth: below it, one more kustomize process costs
#: more than sharing the work saves.
MIN_BATCH = 25


def _batches(candidates: list[int], cpus: int) -> list[list[int]]:
    """``candidates`` in as many batches as there are CPUs to run them side by side (each of
    at least :data:`MIN_BATCH` apps), in order; one batch on one CPU."""
    count = max(1, min(cpus, len(candidates) // MIN_BATCH))
    size, extra = divmod(len(candidates), count)
    batches: list[list[int]] = []
    start = 0
    for number in range(count):
        end = start + size + (1 if number < extra else 0)
        batches.append(candidates[start:end])
        start = end
    return batches


def _clashes(requests: Sequence[RenderRequest], trees: dict[int, KustomizeTree]) -> dict[int, str]:
    """Apps whose objects have the identity of another app's object (kustomize refuses two
    objects with one id in a build): they are rendered on their own."""
    owners: dict[Identity, list[int]] = {}
    for i, tree in trees.items():
        for identity in set(tree.identities()):
            owners.setdefault(identity, []).append(i)
    clashes: dict[int, str] = {}
    for identity, apps in owners.items():
        if len(apps) > 1:
            for i in apps:
                other = ", ".join(requests[j].app for j in apps if j != i)
                clashes.setdefault(i, f"{identity[1]}/{identity[3]} also rendered by {other}")
    return clashes


def _build_each(
    requests: Sequence[RenderRequest],
    trees: Sequence[KustomizeTree],
    copy: _Copy,
    kustomize: Kustomize,
) -> list[str]:
    def one(pair: tuple[RenderRequest, KustomizeTree]) -> str | UserError:
        request, tree = pair
        try:
            return kustomize.build(copy.of(tree.overlay.directory))
        except ToolError as exc:
            precise = _source_error(request, tree)
            if precise is not None:
                return precise
            return ToolError(
                f"{request.app} ({request.env}): kustomize failed for {request.overlay}:\n"
                + copy.original_text(exc.message),
                position=tree.overlay.start,
                hint="run `kustomize build` on the overlay to reproduce",
            )

    workers = max(1, min(len(requests), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, zip(requests, trees, strict=True)))
    errors = [r for r in results if isinstance(r, UserError)]
    if errors:
        raise errors[0] if len(errors) == 1 else ToolError("\n".join(e.render() for e in errors))
    return [r for r in results if isinstance(r, str)]


def _source_error(request: RenderRequest, tree: KustomizeTree) -> UserError | None:
    """The error of a file of the overlay that does not load (invalid YAML, nested too
    deep), at its line: what made kustomize fail, said where it is."""
    try:
        load_tree(request.overlay, bounds=tree.bounds)
    except UserError as precise:
        if precise.position is not None and precise.position.line:
            return precise
    return None


def _run_batch(trees: Sequence[KustomizeTree], copy: _Copy, kustomize: Kustomize) -> str | None:
    """One kustomize run over an aggregate of the overlay copies; None when it fails (the
    apps are then built one by one, which names the failing overlay with its message)."""
    folder = Path(tempfile.mkdtemp(prefix="batch-", dir=copy.tmp))
    lines = ["resources:"]
    for tree in trees:
        lines.append(f"- {os.path.relpath(copy.of(tree.overlay.directory), folder)}")
    (folder / "kustomization.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        return kustomize.build(folder)
    except ToolError:
        return None


def _refuse_leftovers(apps: Sequence[RenderedApp]) -> None:
    errors = []
    for app in apps:
        if not has_leftovers(app.text):
            continue
        for obj in app.objects:
            for left in find_leftovers(obj.index, obj.data):
                errors.append(
                    UserError(
                        f"{app.app} ({app.env}): {obj.kind}/{obj.name} field "
                        f"{format_path(left.path)} still holds placeholder {left.placeholder}",
                        position=obj.position(left.path, value=True),
                        hint=_leftover_hint(left.placeholder, app.env),
                    )
                )
    if errors:
        raise errors[0] if len(errors) == 1 else UserErrors(errors)


def _leftover_hint(placeholder: str, env: str) -> str:
    if placeholder.startswith("IMAGE_URL"):
        return (
            "the image was not replaced: give the container image IMAGE_URL in the base and "
            "list it under `images:` in the overlay"
        )
    return (
        f"declare it under [tool.polyinfra.placeholders.{env}] in infrastructure/pyproject.toml "
        "or replace it in the overlay"
    )
