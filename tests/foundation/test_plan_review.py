"""Plans a reviewer can trust: values wrapped and never cut."""

from __future__ import annotations

from polyinfra.foundation.plan import Plan, PlannedResource, diff_plans
from polyinfra.foundation.report import WIDTH, format_diff, format_plan

MEMBER = (
    "principalSet://iam.googleapis.com/projects/123456789012/locations/global/"
    "workloadIdentityPools/github/attribute.repository/acme/data-platform"
)
TOKEN = "x" * 120


def grant(member: str = MEMBER) -> PlannedResource:
    return PlannedResource(
        "gcp:serviceaccount/iAMMember:IAMMember",
        "wif_user",
        {
            "member": member,
            "role": "roles/iam.workloadIdentityUser",
            "serviceAccountId": "projects/acme-prod/serviceAccounts/"
            "deployer@acme-prod.iam.gserviceaccount.com",
        },
    )


def bucket(name: str = "acme-raw", **inputs: object) -> PlannedResource:
    return PlannedResource(
        "gcp:storage/bucket:Bucket",
        "bucket_raw",
        {"name": name, "location": "EU", "labels": {"team": "data"}, **inputs},
        protect=True,
    )


def test_plan_wraps_long_values_under_themselves_and_never_cuts_them() -> None:
    plan = Plan("production", "acme-prod", (grant(), bucket(description=TOKEN)), {"pool": MEMBER})
    lines = format_plan(plan).splitlines()
    assert lines[:13] == [
        "Stack production (Google Cloud project acme-prod)",
        "  gcp:serviceaccount/iAMMember:IAMMember (1)",
        "    + wif_user",
        "        member=principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "               workloadIdentityPools/github/attribute.repository/acme/data-platform",
        "        role=roles/iam.workloadIdentityUser",
        "        serviceAccountId=projects/acme-prod/serviceAccounts/deployer@",
        "                         acme-prod.iam.gserviceaccount.com",
        "  gcp:storage/bucket:Bucket (1)",
        "    + bucket_raw [protected]",
        f"        description={TOKEN}",  # one piece longer than a line: whole, on its own line
        "        labels={1 keys} location=EU name=acme-raw",
        "  Outputs:",
    ]
    assert lines[13:15] == [
        "    pool: principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "          workloadIdentityPools/github/attribute.repository/acme/data-platform",
    ]
    assert "…" not in format_plan(plan)
    assert all(
        len(line) <= WIDTH for line in lines if TOKEN not in line and "resources" not in line
    )


def test_a_long_string_wraps_at_spaces_keeping_every_word() -> None:
    description = " ".join(f"word{index}" for index in range(40))
    plan = Plan("sandbox", "p", (bucket(description=description),), {})
    lines = format_plan(plan).splitlines()[3:8]
    assert lines == [
        '        description="word0 word1 word2 word3 word4 word5 word6 word7 word8 word9 word10 '
        "word11",
        "                    word12 word13 word14 word15 word16 word17 word18 word19 word20 "
        "word21 word22",
        "                    word23 word24 word25 word26 word27 word28 word29 word30 word31 "
        "word32 word33",
        '                    word34 word35 word36 word37 word38 word39"',
        "        labels={1 keys} location=EU name=acme-raw",
    ]


def test_diff_shows_a_long_change_whole_old_value_then_new() -> None:
    old = Plan("production", "acme-prod", (grant(),), {})
    new = Plan("production", "acme-prod", (grant(MEMBER.replace("data-platform", "ops")),), {})
    assert format_diff(diff_plans(old, new, "HEAD")).splitlines() == [
        "Stack production: changes since HEAD",
        "  ~ wif_user (gcp:serviceaccount/iAMMember:IAMMember)",
        "        member: principalSet://iam.googleapis.com/projects/123456789012/locations/global/",
        "                workloadIdentityPools/github/attribute.repository/acme/data-platform",
        "                -> principalSet://iam.googleapis.com/projects/123456789012/locations/"
        "global/",
        "                   workloadIdentityPools/github/attribute.repository/acme/ops",
        "  0 to add, 1 to change, 0 to remove, 0 unchanged",
    ]


def test_a_list_changed_in_length_is_shown_in_full() -> None:
    old = Plan("sandbox", "p", (bucket(cors=[{"origin": ["https://a.example"]}]),), {})
    new = Plan("sandbox", "p", (bucket(cors=[]),), {})
    assert format_diff(diff_plans(old, new, "HEAD")).splitlines()[2] == (
        '        cors: [{"origin": ["https://a.example"]}] -> []'
    )
