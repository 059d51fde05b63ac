"""`edit set image` semantics: argument parsing and the merge into ``images:``."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyinfra.errors import UserError
from polyinfra.manifests.images import ImageSetting, merge_images, parse_set_image, set_image
from polyinfra.yamlio import load_text


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("IMAGE_URL=reg/app:1.2", ImageSetting("IMAGE_URL", "reg/app", "1.2")),
        ("IMAGE_URL=localhost:5000/app", ImageSetting("IMAGE_URL", "localhost:5000/app")),
        ("IMAGE_URL=localhost:5000/app:v1", ImageSetting("IMAGE_URL", "localhost:5000/app", "v1")),
        ("IMAGE_URL=reg/app@sha256:ab", ImageSetting("IMAGE_URL", "reg/app", "", "sha256:ab")),
        ("IMAGE_URL=reg/app:*", ImageSetting("IMAGE_URL", "reg/app", "*")),
        ("nginx:1.25", ImageSetting("nginx", "", "1.25")),
    ],
)
def test_parse(arg: str, expected: ImageSetting) -> None:
    assert parse_set_image(arg) == expected


def test_parse_refuses_a_bare_name() -> None:
    with pytest.raises(UserError, match="invalid image 'nginx'"):
        parse_set_image("nginx")


def test_merge_replaces_the_named_entry_and_sorts() -> None:
    existing = [
        {"name": "zeta", "newTag": "1"},
        {"name": "IMAGE_URL", "newName": "IMAGE_URL_PLACEHOLDER", "newTag": "old"},
    ]
    merged = merge_images(existing, ImageSetting("IMAGE_URL", "reg/app", "2"))
    assert merged == [
        {"name": "IMAGE_URL", "newName": "reg/app", "newTag": "2"},
        {"name": "zeta", "newTag": "1"},
    ]


def test_merge_without_tag_drops_the_old_tag_and_star_keeps_it() -> None:
    existing = [{"name": "IMAGE_URL", "newName": "old", "newTag": "7"}]
    assert merge_images(existing, ImageSetting("IMAGE_URL", "new")) == [
        {"name": "IMAGE_URL", "newName": "new"}
    ]
    assert merge_images(existing, ImageSetting("IMAGE_URL", "*", "8")) == [
        {"name": "IMAGE_URL", "newName": "old", "newTag": "8"}
    ]
    assert merge_images([], ImageSetting("IMAGE_URL", "new", "*")) == [
        {"name": "IMAGE_URL", "newName": "new"}
    ]


def test_set_image_keeps_every_other_value(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(
        "# comment kept\nresources:\n  - ../../base\nimages:\n  - name: IMAGE_URL\n"
        "    newName: IMAGE_URL_PLACEHOLDER\nnamespace: p\n"
    )
    set_image(path, parse_set_image("IMAGE_URL=reg/app:3"))
    assert load_text(path.read_text(), path).data == {
        "resources": ["../../base"],
        "images": [{"name": "IMAGE_URL", "newName": "reg/app", "newTag": "3"}],
        "namespace": "p",
    }


def test_set_image_with_aliases_keeps_them_resolved(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text(
        "commonLabels: &labels\n  team: data\ncommonAnnotations: *labels\n"
        "images:\n  - name: other\n    newTag: '1'\n"
    )
    set_image(path, parse_set_image("IMAGE_URL=reg/app@sha256:00"))
    assert load_text(path.read_text(), path).data == {
        "commonLabels": {"team": "data"},
        "commonAnnotations": {"team": "data"},
        "images": [
            {"name": "IMAGE_URL", "newName": "reg/app", "digest": "sha256:00"},
            {"name": "other", "newTag": "1"},
        ],
    }


def test_set_image_changes_only_the_images_block(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    head = "# kept\nresources:\n- ../../base\n"
    tail = "commonLabels:\n  enabled: yes\n  mode: 0755\nnamespace: p # kept too\n"
    path.write_text(
        head + "images:\n- name: sidecar\n  newTag: 1.10\n"
        "- name: IMAGE_URL\n  newName: IMAGE_URL_PLACEHOLDER\n" + tail
    )
    set_image(path, parse_set_image("IMAGE_URL=reg/app:3"))
    assert path.read_text() == (
        head + 'images:\n- name: "IMAGE_URL"\n  newName: "reg/app"\n  newTag: "3"\n'
        '- name: "sidecar"\n  newTag: "1.10"\n' + tail
    )


def test_set_image_adds_the_block_when_missing(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text("resources:\n- ../../base")
    set_image(path, parse_set_image("IMAGE_URL=reg/app@sha256:ab"))
    assert path.read_text() == (
        'resources:\n- ../../base\nimages:\n- name: "IMAGE_URL"\n  newName: "reg/app"\n'
        '  digest: "sha256:ab"\n'
    )


def test_deprecated_image_tags_are_merged_like_the_edit(tmp_path: Path) -> None:
    path = tmp_path / "kustomization.yaml"
    path.write_text("imageTags:\n- name: zeta\n  newTag: '2'\n- name: IMAGE_URL\n  newTag: x\n")
    set_image(path, parse_set_image("IMAGE_URL=reg/app:3"))
    assert load_text(path.read_text(), path).data == {
        "images": [
            {"name": "IMAGE_URL", "newName": "reg/app", "newTag": "3"},
            {"name": "zeta", "newTag": "2"},
        ]
    }
