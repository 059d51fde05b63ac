"""Plan diffs as markdown, from plans built here: destroyed first, then IAM, then the rest."""

from __future__ import annotations

from pathlib import Path

from polyinfra.foundation.plan import Plan, PlannedResource
from polyinfra.foundation.plan.diff import diff_plans
from polyinfra.positions import Position
from polyinfra.review.plan import plan_markdown

SA = "serviceAccount:etl@acme-prod.iam.gserviceaccount.com"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
MEMBER = "gcp:projects/iAMMember:IAMMember"
BINDING = "gcp:secretmanager/secretIamBinding:SecretIamBinding"
BUCKET = "gcp:storage/bucket:Bucket"
TOPIC = "gcp:pubsub/topic:Topic"


def plan(*resources: PlannedResource) -> Plan:
    return Plan("production", "acme-prod", resources, {})


def test_destroyed_then_iam_then_the_rest() -> None:
    old = plan(
        PlannedResource(
            MEMBER, "grant", {"project": "acme-prod", "role": "roles/viewer", "member": SA}
        ),
        PlannedResource(
            BINDING,
            "readers",
            {"secretId": "API_KEY", "role": "roles/x", "members": ["user:a@x.com", "user:b@x.com"]},
        ),
        PlannedResource(BUCKET, "raw", {"name": "acme-raw", "location": "EU"}, protect=True),
        PlannedResource(TOPIC, "events", {"name": "events", "labels": {"team": "a"}}),
        PlannedResource(TOPIC, "gone", {"name": "gone"}),
    )
    new = plan(
        PlannedResource(
            MEMBER, "grant", {"project": "acme-prod", "role": "roles/editor", "member": SA}
        ),
        PlannedResource(
            BINDING,
            "readers",
            {"secretId": "API_KEY", "role": "roles/x", "members": ["user:a@x.com", "user:c@x.com"]},
        ),
        PlannedResource(BUCKET, "raw", {"name": "acme-raw", "location": "US"}, protect=True),
        PlannedResource(TOPIC, "events", {"name": "events-v2", "labels": {"team": "a"}}),
        PlannedResource(TOPIC, "new", {"name": "new", "messageRetentionDuration": STRIPE}),
    )
    stack = Path("/ws/infrastructure/pulumi/Pulumi.production.yaml")
    diff = diff_plans(old, new, "origin/main", pulumi_project="acme", protect_at=Position(stack, 7))
    out = plan_markdown([diff], ref="origin/main", root=Path("/ws"))
    assert STRIPE not in out
    assert out == "\n".join(
        [
            "### polyinfra plan --diff `origin/main`: production",
            "",
            "#### Stack `production` (Google Cloud project `acme-prod`)",
            "",
            "1 to add, 4 to change, 1 to remove, 0 unchanged.",
            "",
            "**Destroyed or replaced**",
            "",
            "- **protected**: `raw` (`storage.Bucket`) is replaced (`location` changed): Pulumi "
            "refuses to delete a protected resource, so the update would fail. Way out: set "
            "`input:protect: false` in `infrastructure/pulumi/Pulumi.production.yaml:7` for the "
            "`production` stack and deploy that first, or run `pulumi state unprotect --stack "
            "production 'urn:pulumi:production::acme::gcp:storage/bucket:Bucket::raw'`",
            "- removed: `gone` (`pubsub.Topic`)",
            "- replaced: `events` (`pubsub.Topic`) (`name` changed: Pulumi deletes it and creates "
            "it again)",
            "",
            "**IAM**",
            "",
            f"- `{SA}` gains `roles/editor` project-wide (`acme-prod`)",
            f"- `{SA}` loses `roles/viewer` project-wide (`acme-prod`)",
            "- `user:b@x.com` loses `roles/x` on secret `API_KEY`",
            "- `user:c@x.com` gains `roles/x` on secret `API_KEY`",
            "",
            "**Other resources**",
            "",
            "| Type | Added | Changed | Removed |",
            "| --- | ---: | ---: | ---: |",
            "| `pubsub.Topic` | 1 | 1 | 1 |",
            "| `storage.Bucket` | 0 | 1 | 0 |",
            "",
            "<details><summary>6 changes in detail</summary>",
            "",
            "```diff",
            "+ new (gcp:pubsub/topic:Topic)",
            "    messageRetentionDuration=<redacted> name=new",
            "~ grant (gcp:projects/iAMMember:IAMMember)",
            "    role: roles/viewer -> roles/editor",
            "~ readers (gcp:secretmanager/secretIamBinding:SecretIamBinding)",
            "    members[1]: user:b@x.com -> user:c@x.com",
            "~ raw (gcp:storage/bucket:Bucket)",
            "    location: EU -> US",
            "~ events (gcp:pubsub/topic:Topic)",
            "    name: events -> events-v2",
            "- gone (gcp:pubsub/topic:Topic)",
            "```",
            "",
            "</details>",
            "",
        ]
    )
