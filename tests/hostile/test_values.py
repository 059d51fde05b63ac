"""Values of the wrong kind: in a stack file, in a manifest, on the command line. Each is an error
at the value (file:line:col) that says what is allowed, in every command that reads it, and
nothing is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra import values
from tests.conftest import edit
from tests.hostile.conftest import assert_no_traceback, run_main, tree_digest

STACK = "infrastructure/pulumi/Pulumi.sandbox.yaml"
APP = "infrastructure/cloudrun_service/inventory-api"
SANDBOX = f"{APP}/overlays/sandbox/kustomization.yaml"
REGISTRY = "input:projects.inventory-api.artifact_registry"
BUCKET = "input:projects.dmd-ingest.cloud_storage"
#: The cleanup policies are one anchored list that three projects alias: a wrong value in it is
#: reported once for each project that uses it, at the one place to fix it.
PROJECTS = ("dmd-ingest", "inventory-api", "stock-webhook")
Problem = tuple[int, int, str, str | None]


def policies(where: str, message: str, hint: str | None = None) -> list[Problem]:
    line, col = (int(n) for n in where.split(":"))
    return [
        (
            line,
            col,
            f"input:projects.{project}.artifact_registry.cleanup_policies{message}",
            hint,
        )
        for project in PROJECTS
    ]


CASES: dict[str, tuple[str, str, list[Problem]]] = {
    "registry-format": (
        "format: DOCKER\n        location: asia-southeast1\n        description: Images of the "
        "inventory-api",
        "format: DOCKERZ\n        location: asia-southeast1\n        description: Images of the "
        "inventory-api",
        [
            (
                40,
                17,
                f"{REGISTRY}.format: 'DOCKERZ' is not an Artifact Registry format: use one of "
                "DOCKER, MAVEN, NPM, PYTHON, APT, YUM, GO, KFP, GENERIC",
                "did you mean 'DOCKER'?",
            )
        ],
    ),
    "storage-class": (
        "storage_class: STANDARD",
        "storage_class: SUPERFAST",
        [
            (
                82,
                24,
                f"{BUCKET}.storage_class: 'SUPERFAST' is not a Cloud Storage class: use one of "
                "STANDARD, NEARLINE, COLDLINE, ARCHIVE, MULTI_REGIONAL, REGIONAL",
                None,
            )
        ],
    ),
    "negative-age": (
        "age: 30",
        "age: -30",
        [
            (
                89,
                20,
                f"{BUCKET}.lifecycle_rules[0].condition.age: -30 is out of range: an age in days "
                "must be from 0 to 2,147,483,647",
                None,
            )
        ],
    ),
    "huge-age": (
        "age: 30",
        "age: 1" + "0" * 40,
        [
            (
                89,
                20,
                f"{BUCKET}.lifecycle_rules[0].condition.age: the integer is out of range: Pulumi "
                "carries at most 9,007,199,254,740,991",
                None,
            )
        ],
    ),
    "float-age": (
        "age: 30",
        "age: 1e40",
        [
            (
                89,
                20,
                f"{BUCKET}.lifecycle_rules[0].condition.age: expected an integer, got a number",
                None,
            )
        ],
    ),
    "negative-keep-count": (
        "keep_count: 10",
        "keep_count: -1",
        policies(
            "20:21",
            "[1].most_recent_versions.keep_count: -1 is out of range: must be from 0 to "
            "2,147,483,647",
        ),
    ),
    "duration-in-days": (
        "older_than: 2592000s # 30 days",
        "older_than: 30d",
        policies(
            "16:21",
            "[0].condition.older_than: '30d' is not a duration: write whole seconds (up to nine "
            "decimals) followed by 's'",
            "write 2592000s",
        ),
    ),
    "bucket-location": (
        "location: ASIA-SOUTHEAST1",
        "location: ASIA-SOUTHEAST",
        [
            (
                81,
                19,
                f"{BUCKET}.location: 'ASIA-SOUTHEAST' is not a Cloud Storage location",
                "did you mean 'ASIA-SOUTHEAST1'?",
            )
        ],
    ),
    "iam-role": (
        "- roles/bigquery.jobUser",
        "- roles/bigquery.jobUsr",
        [
            (
                53,
                13,
                "input:projects.dmd-ingest.service_account_iam.roles[0]: "
                "'roles/bigquery.jobUsr' is not a predefined IAM role",
                "did you mean 'roles/bigquery.jobUser'?",
            )
        ],
    ),
    "scoped-iam-role": (
        "- role: roles/bigquery.dataEditor",
        "- role: roles/bigquery.dataEditr",
        [
            (
                56,
                17,
                "input:projects.dmd-ingest.iam[0].role: "
                "'roles/bigquery.dataEditr' is not a predefined IAM role",
                "did you mean 'roles/bigquery.dataEditor'?",
            )
        ],
    ),
    "label-value": (
        "label:owner: data-engineering",
        "label:owner: Data Engineering",
        [
            (
                9,
                16,
                "label:owner: invalid label value 'Data Engineering': at most 63 lowercase "
                "letters, digits, '_' and '-'",
                None,
            )
        ],
    ),
    "label-key": (
        "label:owner: data-engineering",
        "label:Owner: data-engineering",
        [
            (
                9,
                3,
                "label:Owner: invalid label key 'Owner': 1-63 lowercase letters, digits, '_' and "
                "'-', starting with a lowercase letter",
                None,
            )
        ],
    ),
    "scheduler-target": (
        "target_job: dmd-inv-mov-api2bq",
        "target_job: dmd-inv-m\u00f6v",
        [
            (
                92,
                23,
                "input:projects.dmd-ingest.cloud_scheduler[0].target_job: 'dmd-inv-m\u00f6v' is "
                "not a valid Cloud Run job name: use lowercase letters, digits and hyphens, "
                "start with a letter and do not end with a hyphen",
                "for example 'dmd-inv-m-v'",
            )
        ],
    ),
    "recursive-alias": (
        "  label:owner: data-engineering\n",
        "  label:owner: data-engineering\n  input:loop: &loop\n    - keep: 1\n    - *loop\n",
        [
            (
                12,
                7,
                "invalid YAML: recursive alias *loop: it is inside the value its anchor &loop "
                "names",
                "an alias may not refer to a value that contains it: repeat the values instead, "
                "or anchor a part that does not contain the alias",
            )
        ],
    ),
}


@pytest.mark.parametrize(("old", "new", "expected"), CASES.values(), ids=CASES.keys())
def test_a_wrong_value_in_a_stack_file_is_an_error_at_the_value(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    old: str,
    new: str,
    expected: list[Problem],
) -> None:
    edit(root, STACK, old, new)
    before = tree_digest(root)
    monkeypatch.chdir(root)

    check = run_main(["check", "--format", "json"], capsys)
    plan = run_main(["plan", "--stack", "sandbox"], capsys)

    assert check.code == 1
    problems = json.loads(check.out)
    assert [(p["file"], p["rule"]) for p in problems] == [(STACK, "config/stack-valid")] * len(
        expected
    )
    assert [(p["line"], p["col"], p["message"], p["hint"]) for p in problems] == expected
    assert plan.code == 2
    stack = root.resolve() / STACK
    errors = [line.removeprefix("error: ") for line in plan.err.splitlines()]
    assert sorted(line for line in errors if not line.startswith("  hint: ")) == sorted(
        f"{stack}:{line}:{col}: {message}" for line, col, message, _ in expected
    )
    assert tree_digest(root) == before
    assert_no_traceback(check)
    assert_no_traceback(plan)


def test_a_region_that_is_no_region_names_the_regions(
    root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(root, STACK, "gcp:region: asia-southeast1", "gcp:region: 'mars-north1; rm -rf /'")
    monkeypatch.chdir(root)

    check = run_main(["check", "--format", "json"], capsys)

    assert check.code == 1
    [problem] = json.loads(check.out)
    assert (problem["line"], problem["col"], problem["message"], problem["hint"]) == (
        5,
        15,
        "gcp:region: 'mars-north1; rm -rf /' is not a Google Cloud region",
        "use one of " + ", ".join(sorted(values.regions())),
    )


NAME_ERROR = [
    f"{SANDBOX}:5:13: error: 'inventory-api-s\u00e4ndbox' is not a valid Cloud Run service "
    "name: use lowercase letters, digits and hyphens, start with a letter and do not end with a "
    "hyphen [cloudrun/name]",
    "  nameSuffix: -s\u00e4ndbox",
    "              ^",
    "  hint: for example 'inventory-api-s-ndbox'",
]


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (["check"], 1),
        (["lint", APP], 1),
        (["deploy", "inventory-api", "--env", "sandbox", "--version", "1.4.2", "--emulator"], 1),
    ],
    ids=["check", "lint", "deploy"],
)
def test_a_cloud_run_name_add_would_refuse_is_refused_everywhere(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    code: int,
) -> None:
    edit(
        root,
        SANDBOX,
        "namespace: data-platform-sandbox\n",
        "namespace: data-platform-sandbox\nnameSuffix: -s\u00e4ndbox\n",
    )
    before = tree_digest(root)
    monkeypatch.chdir(root)

    outcome = run_main(command, capsys)

    assert outcome.code == code
    lines = outcome.text.splitlines()
    start = lines.index(NAME_ERROR[0])
    assert lines[start : start + 4] == NAME_ERROR
    assert tree_digest(root) == before


def test_a_manifest_name_over_the_length_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "a" * 50
    manifest = tmp_path / "service.yaml"
    manifest.write_text(
        "apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata:\n"
        f"  name: {name}\nspec:\n  template:\n    spec:\n      containers:\n"
        "        - image: europe-docker.pkg.dev/acme/apps/api:1.4.2\n"
    )

    outcome = run_main(["lint", str(manifest), "--select", "cloudrun/name"], capsys)

    assert outcome.code == 1
    assert outcome.out.splitlines()[0] == (
        f"{manifest}:4:9: error: '{name}' is 50 characters long; Cloud Run service names have "
        "at most 49 [cloudrun/name]"
    )


@pytest.mark.parametrize(
    ("option", "message", "hint"),
    [
        (
            ["--image", "inventory-api=Bad Image:??"],
            "--image inventory-api: image reference 'Bad Image:??' contains a space, a line "
            "break or a control character",
            "write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
            "europe-docker.pkg.dev/my-project/apps/api:1.4.2",
        ),
        (
            ["--image", "inventory-api=europe-docker.pkg.dev/acme/apps/api:1\nimage: evil"],
            "--image inventory-api: image reference 'europe-docker.pkg.dev/acme/apps/api:1\\n"
            "image: evil' contains a space, a line break or a control character",
            "write [HOST[:PORT]/]PATH[:TAG][@sha256:DIGEST], e.g. "
            "europe-docker.pkg.dev/my-project/apps/api:1.4.2",
        ),
        (
            ["--registry", "europe-docker.pkg.dev/acme/Apps"],
            "--registry: registry 'europe-docker.pkg.dev/acme/Apps': path component 'Apps' must "
            "be lowercase letters and digits, joined by '.', '_', '__' or '-'",
            "e.g. --registry europe-docker.pkg.dev/my-project/apps",
        ),
        (
            ["--registry", "europe-docker.pkg.dev/acme/apps\nx: y"],
            "--registry: registry 'europe-docker.pkg.dev/acme/apps\\nx: y' contains a space, a "
            "line break or a control character",
            "e.g. --registry europe-docker.pkg.dev/my-project/apps",
        ),
    ],
    ids=["space", "newline", "upper-case", "registry-newline"],
)
@pytest.mark.parametrize("command", ["render", "deploy"])
def test_an_image_option_that_is_no_reference_exits_2(
    root: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    option: list[str],
    message: str,
    hint: str,
) -> None:
    before = tree_digest(root)
    args = [command, "inventory-api", "--env", "sandbox", "--version", "1.4.2", *option]
    if command == "deploy":
        args.append("--emulator")

    outcome = run_main([*args, "-w", str(root)], capsys)

    assert outcome.code == 2
    assert outcome.err.splitlines() == [f"error: {message}", f"  hint: {hint}"]
    assert outcome.out == ""
    assert tree_digest(root) == before


def test_a_valid_digest_reference_renders(root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    image = "europe-docker.pkg.dev/acme/apps/api@sha256:" + "0" * 64
    outcome = run_main(
        [
            "render",
            "inventory-api",
            "--env",
            "sandbox",
            "--version",
            "1.4.2",
            "--image",
            f"inventory-api={image}",
            "-w",
            str(root),
        ],
        capsys,
    )
    assert outcome.code == 0
    assert f"image: {image}" in [
        line.strip().removeprefix("- ") for line in outcome.out.splitlines()
    ]
