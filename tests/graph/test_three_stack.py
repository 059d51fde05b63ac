"""A workspace of three stacks: each foundation node belongs to the program whose stack file
declares it (platform or services), the apps and projects to the application stack."""

from __future__ import annotations

from pathlib import Path

from polyinfra.graph import build_graph
from tests.foundation.three_stack import three_stack_workspace

SA = "{name}@data-platform-sandbox.iam.gserviceaccount.com"
REGISTRY = "asia-southeast1-docker.pkg.dev/data-platform-sandbox/stock-webhook"


def test_nodes_belong_to_the_program_that_declares_them(tmp_path: Path) -> None:
    root = three_stack_workspace(tmp_path / "ws")
    graph = build_graph(root, environment="sandbox")
    stacks = {node.id: node.stack for node in graph.nodes}
    # the registry comes from the platform program, the accounts from the services program
    assert stacks[f"sandbox/registry/{REGISTRY}"] == "platform"
    for name in ("inventory-api", "dmd-ingest", "stock-webhook"):
        assert stacks[f"sandbox/service-account/{SA.format(name=name)}"] == "services"
    assert stacks["app/stock-webhook"] == "application"
    assert stacks["project/stock_webhook"] == "application"
    assert {node.stack for node in graph.nodes} == {"application", "platform", "services"}
    image = next(
        edge for edge in graph.edges if edge.source == "app/stock-webhook" and edge.kind == "image"
    )
    assert (image.target, image.broken) == (f"sandbox/registry/{REGISTRY}", False)
