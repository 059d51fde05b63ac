"""The spec's deploy pipeline, run on a copy: `edit set image`, `kustomize build`, `sed`.

With a standalone ``kustomize`` binary the image edit is its own ``edit set image``; with only
``kubectl kustomize`` (which has no ``edit``) the ``images:`` entry that ``edit set image``
writes is put in the copy's text directly.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path


def tree_digest(root: Path) -> str:
    """One hash over every file's path, bytes and mode under ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
            digest.update(str(path.stat().st_mode).encode())
    return digest.hexdigest()


def split_ref(ref: str) -> tuple[str, str]:
    """``name:tag`` -> (name, tag) for the references these tests use."""
    name, _, tag = ref.rpartition(":")
    return name, tag


def write_images_entry(kustomization: Path, image_name: str, ref: str) -> None:
    """Replace (or add) the ``images:`` list with the one entry `edit set image` would leave
    when the overlay names only ``image_name``."""
    new_name, tag = split_ref(ref)
    entry = f"images:\n- name: {image_name}\n  newName: {new_name}\n  newTag: {tag}\n"
    text = kustomization.read_text()
    block = re.compile(r"^images:\n(?:[ -].*\n)*", re.MULTILINE)
    if block.search(text):
        text = block.sub(lambda _: entry, text, count=1)
    else:
        text = text.rstrip("\n") + "\n" + entry
    kustomization.write_text(text)


def spec_pipeline(
    copy_overlay: Path,
    ref: str,
    version: str,
    *,
    image_name: str = "IMAGE_URL",
    binary: str = "kubectl",
    extra: dict[str, str] | None = None,
) -> str:
    """Run the pipeline in ``copy_overlay`` (a copy: it is edited) and return the manifest."""
    if binary == "kustomize":
        subprocess.run(
            ["kustomize", "edit", "set", "image", f"{image_name}={ref}"],
            cwd=copy_overlay,
            check=True,
            capture_output=True,
        )
        build = ["kustomize", "build", "."]
    else:
        write_images_entry(copy_overlay / "kustomization.yaml", image_name, ref)
        build = ["kubectl", "kustomize", "."]
    built = subprocess.run(build, cwd=copy_overlay, check=True, capture_output=True).stdout
    script = [f"s|VERSION_PLACEHOLDER|{version}|g"]
    script += [f"s|{name}|{value}|g" for name, value in (extra or {}).items()]
    args = ["sed"] + [a for s in script for a in ("-e", s)]
    return subprocess.run(args, input=built, check=True, capture_output=True).stdout.decode()


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
