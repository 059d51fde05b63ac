"""The text formats: mermaid and dot, whole, and what user-written names cannot break."""

from __future__ import annotations

import json
from pathlib import Path

from polyinfra.graph import Edge, Finding, Graph, Node, build_graph
from polyinfra.graph.dot import to_dot
from polyinfra.graph.html import script_json, to_html
from polyinfra.graph.mermaid import to_mermaid
from tests.conftest import EXAMPLE

DATA = Path(__file__).parent / "data"
HOSTILE = '</script><img src=x onerror="alert(1)">'


def small_graph(name: str = "api") -> Graph:
    """An app running as an account no stack creates: one broken edge."""
    finding = Finding(
        "infrastructure/cloudrun_service/api/overlays/sandbox/kustomization.yaml:18:16",
        "crossstack/service-account-exists",
        "error",
        f'{name} (sandbox) runs as "ghost@p.iam.gserviceaccount.com", which the stack does '
        "not create",
    )
    account = "sandbox/service-account/ghost@p.iam.gserviceaccount.com"
    return Graph(
        nodes=(
            Node(f"app/{name}", "app", name, "application", detail="service"),
            Node("project/api", "project", "api", "application", detail="project"),
            Node(
                account,
                "service-account",
                "ghost@p.iam.gserviceaccount.com",
                "foundation",
                "sandbox",
                declared=False,
            ),
        ),
        edges=(
            Edge(f"app/{name}", account, "runs-as", "runs as", "sandbox", (finding,)),
            Edge("project/api", f"app/{name}", "ships", "ships"),
        ),
        environments=("sandbox",),
    )


def test_mermaid_of_the_example() -> None:
    expected = (DATA / "example.mmd").read_text(encoding="utf-8")
    assert to_mermaid(build_graph(EXAMPLE)) == expected


def test_mermaid_draws_a_broken_edge_dotted_and_red() -> None:
    assert to_mermaid(small_graph()) == (
        "flowchart LR\n"
        '  subgraph s_application["application"]\n'
        '    n_app_api(["api<br/>service"])\n'
        '    n_project_api[["api<br/>Polylith project"]]\n'
        "  end\n"
        '  subgraph s_foundation["foundation"]\n'
        '    subgraph s_foundation_sandbox["sandbox"]\n'
        "      n_sandbox_service_account_ghost_p_iam_gserviceaccount_com"
        '{{"ghost@p.iam.gserviceaccount.com<br/>service account, not created"}}\n'
        "    end\n"
        "  end\n"
        '  n_app_api -. "runs as" .-> n_sandbox_service_account_ghost_p_iam_gserviceaccount_com\n'
        '  n_project_api -- "ships" --> n_app_api\n'
        "  linkStyle 0 stroke:#d62728,stroke-width:2px,stroke-dasharray:6 4\n"
        "  classDef missing stroke-dasharray:4 4\n"
        "  class n_sandbox_service_account_ghost_p_iam_gserviceaccount_com missing\n"
    )


def test_mermaid_labels_cannot_end_their_quotes() -> None:
    text = to_mermaid(small_graph('a"b<c>#d|e'))
    assert '["a#quot;b#lt;c#gt;#35;d#124;e<br/>service"]' in text
    assert 'a"b' not in text


def test_dot_of_a_broken_edge() -> None:
    tooltip = (
        "crossstack/service-account-exists (error) at infrastructure/cloudrun_service/api/"
        'overlays/sandbox/kustomization.yaml:18:16: api (sandbox) runs as \\"ghost@p.iam.'
        'gserviceaccount.com\\", which the stack does not create'
    )
    assert to_dot(small_graph()) == (
        "digraph polyinfra {\n"
        "  rankdir=LR;\n"
        '  node [shape=box, style=rounded, fontname="Helvetica"];\n'
        '  edge [fontname="Helvetica", fontsize=10];\n'
        "  subgraph cluster_application {\n"
        '    label="application";\n'
        '    n_app_api [label="api\\nservice", shape=box, tooltip="api"];\n'
        '    n_project_api [label="api\\nPolylith project", shape=folder, tooltip="api"];\n'
        "  }\n"
        "  subgraph cluster_foundation {\n"
        '    label="foundation";\n'
        "    subgraph cluster_foundation_sandbox {\n"
        '      label="sandbox";\n'
        "      n_sandbox_service_account_ghost_p_iam_gserviceaccount_com "
        '[label="ghost@p.iam.gserviceaccount.com\\nservice account, not created", '
        'shape=hexagon, tooltip="ghost@p.iam.gserviceaccount.com", style="rounded,dashed"];\n'
        "    }\n"
        "  }\n"
        "  n_app_api -> n_sandbox_service_account_ghost_p_iam_gserviceaccount_com "
        f'[label="runs as", style=dashed, color=red, fontcolor=red, tooltip="{tooltip}"];\n'
        '  n_project_api -> n_app_api [label="ships"];\n'
        "}\n"
    )


def test_dot_of_the_example_has_a_cluster_per_stack_and_environment() -> None:
    text = to_dot(build_graph(EXAMPLE))
    clusters = [line.strip() for line in text.splitlines() if "subgraph" in line]
    assert clusters == [
        "subgraph cluster_application {",
        "subgraph cluster_foundation {",
        "subgraph cluster_foundation_production {",
        "subgraph cluster_foundation_sandbox {",
    ]
    assert "dashed" not in text
    assert text.count(" -> ") == 39


def test_html_data_cannot_end_its_script_element() -> None:
    page = to_html(small_graph(HOSTILE))
    data = page.split('<script id="graph-data" type="application/json">', 1)[1]
    data = data.split("</script>", 1)[0]
    assert "<" not in data
    assert ">" not in data
    names = {node["name"] for node in json.loads(data)["nodes"]}
    assert HOSTILE in names
    # the only markup is the page's own
    assert page.count("<script") == 3
    assert "<img" not in page
    assert script_json("\u2028") == '"\\u2028"'
