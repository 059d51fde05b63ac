"""The explicit builder registry is complete and ordered so dependencies come first."""

from __future__ import annotations

from pathlib import Path

from polyinfra.foundation import builders
from polyinfra.foundation.builders import BUILDERS


def test_every_builder_module_is_registered_once() -> None:
    folder = Path(builders.__file__).parent
    modules = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    registered = [module.__name__.rsplit(".", 1)[-1] for module in BUILDERS]
    assert sorted(registered) == sorted(modules)
    names = [module.NAME for module in BUILDERS]
    assert len(set(names)) == len(names)
    assert all(callable(module.build) for module in BUILDERS)


def test_dependencies_are_built_first() -> None:
    order = [module.NAME for module in BUILDERS]
    assert order[0] == "services"
    assert order.index("service_accounts") < order.index("iam_members")
    assert order.index("service_accounts") < order.index("scheduler_jobs")
    assert order.index("bigquery_datasets") < order.index("bigquery_tables")
    assert order.index("pubsub_topics") < order.index("pubsub_subscriptions")
    assert order.index("log_metrics") < order.index("alert_policies")
    for needed in ("service_accounts", "storage_buckets", "pubsub_topics"):
        assert order.index(needed) < order.index("eventarc_triggers")


def test_importing_the_package_does_not_load_the_provider() -> None:
    import subprocess
    import sys

    code = (
        "import sys, polyinfra.foundation as f; "
        "f.make_resource_name('a', 'b'); "
        "print('pulumi_gcp' in sys.modules, 'pulumi' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False False"
