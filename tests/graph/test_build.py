"""The graph of the example and of copies with a link broken: nodes, edges, and the findings
of `check` on exactly the edges they break."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyinfra.checks.check import check_workspace
from polyinfra.errors import UserError
from polyinfra.graph import Graph, build_graph, to_json_text
from tests.conftest import EXAMPLE, copy_example, edit

SANDBOX_SA = "inventory-api@data-platform-sandbox.iam.gserviceaccount.com"
INVENTORY_SANDBOX = (
    "infrastructure/cloudrun_service/inventory-api/overlays/sandbox/kustomization.yaml"
)
JOB_SANDBOX = "infrastructure/cloudrun_job/dmd-inv-mov-api2bq/overlays/sandbox/kustomization.yaml"
STACK_SANDBOX = "infrastructure/pulumi/Pulumi.sandbox.yaml"


def broken(graph: Graph) -> dict[str, list[tuple[str, str, str]]]:
    """Edge id -> its findings as (rule, position, message)."""
    return {
        edge.id: [(f.rule, f.position, f.message) for f in edge.findings]
        for edge in graph.edges
        if edge.broken
    }


def link_findings(root: Path, env: str) -> list[tuple[str, str, str]]:
    """What `check` reports with its cross-stack rules, as the graph shows findings."""
    result = check_workspace(root, environments=[env], select=["crossstack"])
    return sorted(
        (p.rule, str(p.position.relative_to(root)), p.message)
        for p in result.problems
        if p.rule not in ("crossstack/job-trigger", "crossstack/app-project-exists")
    )


def test_the_example_has_every_app_account_and_resource_and_no_broken_link() -> None:
    graph = build_graph(EXAMPLE)
    assert graph.stacks == ("application", "foundation")
    assert graph.environments == ("production", "sandbox")
    assert graph.undrawn == ()
    assert broken(graph) == {}
    sandbox = {n.id for n in graph.nodes if n.env == "sandbox"}
    assert {n.id for n in graph.nodes if n.env is None} == {
        "app/dmd-inv-mov-api2bq",
        "app/inventory-api",
        "app/stock-webhook",
        "project/dmd_ingest",
        "project/inventory_api",
        "project/stock_webhook",
    }
    assert sandbox == {
        "sandbox/dataset/bronze_dmd",
        "sandbox/gcp-project/data-platform-sandbox",
        "sandbox/registry/asia-southeast1-docker.pkg.dev/data-platform-sandbox/dmd-ingest",
        "sandbox/registry/asia-southeast1-docker.pkg.dev/data-platform-sandbox/inventory-api",
        "sandbox/registry/asia-southeast1-docker.pkg.dev/data-platform-sandbox/stock-webhook",
        "sandbox/scheduler/dmd-inv-mov",
        "sandbox/secret/DMD_API_TOKEN",
        "sandbox/service-account/dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com",
        f"sandbox/service-account/{SANDBOX_SA}",
        "sandbox/service-account/stock-webhook@data-platform-sandbox.iam.gserviceaccount.com",
    }
    assert {n.id.replace("production/", "sandbox/").replace("-prod", "-sandbox") for n in
            graph.nodes if n.env == "production"} == sandbox  # fmt: skip
    job_sa = "sandbox/service-account/dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com"
    assert sorted(
        (e.source, e.kind, e.label, e.target)
        for e in graph.edges
        if e.env == "sandbox" and job_sa in (e.source, e.target)
    ) == [
        ("app/dmd-inv-mov-api2bq", "runs-as", "runs as", job_sa),
        (job_sa, "grant", "roles/bigquery.dataEditor", "sandbox/dataset/bronze_dmd"),
        (job_sa, "grant", "roles/run.invoker", "app/dmd-inv-mov-api2bq"),
        (job_sa, "grant", "roles/secretmanager.secretAccessor", "sandbox/secret/DMD_API_TOKEN"),
        (job_sa, "role", "roles/bigquery.jobUser", "sandbox/gcp-project/data-platform-sandbox"),
        (job_sa, "role", "roles/logging.logWriter", "sandbox/gcp-project/data-platform-sandbox"),
    ]
    assert sorted((e.source, e.kind, e.target) for e in graph.edges if e.kind == "starts") == [
        ("production/scheduler/dmd-inv-mov", "starts", "app/dmd-inv-mov-api2bq"),
        ("sandbox/scheduler/dmd-inv-mov", "starts", "app/dmd-inv-mov-api2bq"),
    ]
    assert sorted((e.source, e.target) for e in graph.edges if e.kind == "ships") == [
        ("project/dmd_ingest", "app/dmd-inv-mov-api2bq"),
        ("project/inventory_api", "app/inventory-api"),
        ("project/stock_webhook", "app/stock-webhook"),
    ]


def test_json_is_sorted_with_stable_keys() -> None:
    graph = build_graph(EXAMPLE, environment="sandbox")
    data = json.loads(to_json_text(graph))
    assert list(data) == ["edges", "nodes"]
    assert [n["id"] for n in data["nodes"]] == sorted(n["id"] for n in data["nodes"])
    keys = [(e["source"], e["target"], e["kind"], e["label"]) for e in data["edges"]]
    assert keys == sorted(keys)
    account = next(n for n in data["nodes"] if n["id"] == f"sandbox/service-account/{SANDBOX_SA}")
    assert account == {
        "declared": True,
        "detail": "",
        "env": "sandbox",
        "id": f"sandbox/service-account/{SANDBOX_SA}",
        "kind": "service-account",
        "label": SANDBOX_SA,
        "name": SANDBOX_SA,
        "stack": "foundation",
    }
    runs_as = next(e for e in data["edges"] if e["kind"] == "runs-as")
    assert runs_as == {
        "broken": False,
        "env": "sandbox",
        "findings": [],
        "id": "app/dmd-inv-mov-api2bq -> sandbox/service-account/dmd-ingest@data-platform-"
        "sandbox.iam.gserviceaccount.com [runs-as: runs as]",
        "kind": "runs-as",
        "label": "runs as",
        "source": "app/dmd-inv-mov-api2bq",
        "target": "sandbox/service-account/dmd-ingest@data-platform-sandbox.iam."
        "gserviceaccount.com",
    }
    assert to_json_text(build_graph(EXAMPLE, environment="sandbox")) == to_json_text(graph)


def test_an_unknown_environment_names_the_known_ones() -> None:
    with pytest.raises(UserError) as caught:
        build_graph(EXAMPLE, environment="staging")
    assert caught.value.message.startswith("--env staging: no overlay or stack file")
    assert caught.value.hint == "environments of this workspace: production, sandbox"


def test_an_account_the_stack_never_creates_breaks_runs_as(tmp_path: Path) -> None:
    root = copy_example(tmp_path / "ws")
    ghost = "ghost@data-platform-sandbox.iam.gserviceaccount.com"
    edit(root, INVENTORY_SANDBOX, f"value: {SANDBOX_SA}", f"value: {ghost}")
    graph = build_graph(root, environment="sandbox")
    message = (
        f"inventory-api (sandbox) runs as {ghost}, which infrastructure/pulumi/Pulumi.sandbox.yaml"
        " does not create (did you mean "
        "'dmd-ingest@data-platform-sandbox.iam.gserviceaccount.com'?)"
    )
    assert broken(graph) == {
        f"app/inventory-api -> sandbox/service-account/{ghost} [runs-as: runs as]": [
            ("crossstack/service-account-exists", f"{INVENTORY_SANDBOX}:18:16", message)
        ]
    }
    node = graph.node(f"sandbox/service-account/{ghost}")
    assert (node.declared, node.stack) == (False, "foundation")
    assert graph.undrawn == ()
    # the same finding `check` reports, and no other
    assert link_findings(root, "sandbox") == [
        ("crossstack/service-account-exists", f"{INVENTORY_SANDBOX}:18:16", message)
    ]


def test_a_scheduler_of_a_missing_job_and_an_undeclared_secret_are_broken(
    tmp_path: Path,
) -> None:
    root = copy_example(tmp_path / "ws")
    edit(root, STACK_SANDBOX, "target_job: dmd-inv-mov-api2bq", "target_job: dmd-inv-mov-api2b")
    edit(root, JOB_SANDBOX, "secrets/DMD_API_TOKEN", "secrets/DMD_TOKEN")
    graph = build_graph(root, environment="sandbox")
    expected = {
        rule: (position, message) for rule, position, message in link_findings(root, "sandbox")
    }
    assert sorted(expected) == [
        "crossstack/scheduler-target",
        "crossstack/secret-declared",
    ]
    assert broken(graph) == {
        "sandbox/scheduler/dmd-inv-mov -> sandbox/job/dmd-inv-mov-api2b [starts: starts]": [
            ("crossstack/scheduler-target", *expected["crossstack/scheduler-target"])
        ],
        "app/dmd-inv-mov-api2bq -> sandbox/secret/DMD_TOKEN [reads: reads]": [
            ("crossstack/secret-declared", *expected["crossstack/secret-declared"])
        ],
    }
    assert graph.node("sandbox/job/dmd-inv-mov-api2b").declared is False
    assert graph.node("sandbox/secret/DMD_TOKEN").declared is False
    assert graph.undrawn == ()
