"""Markdown pieces: what each one prints, exactly, for text that would otherwise be markdown."""

from __future__ import annotations

import pytest

from polyinfra import markdown as md


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain words", "plain words"),
        ("input:project_number", "input:project\\_number"),
        ("*bold* and _em_", "\\*bold\\* and \\_em\\_"),
        ("a | b", "a \\| b"),
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ("[click](https://evil.example)", "\\[click\\](https<!-- -->://evil.example)"),
        ("![img](x.png)", "\\!\\[img\\](x.png)"),
        ("`code` ~~gone~~", "\\`code\\` \\~\\~gone\\~\\~"),
        ("# not a heading", "\\# not a heading"),
        ("a\\b", "a\\\\b"),
        ("&amp; stays text", "&amp;amp; stays text"),
        ("line one\nline two\r\nthree", "line one line two three"),
        # GitHub would notify @data-eng and link issue 12 back: neither reads as one
        ("ask @data-eng about #12", "ask @<!-- -->data-eng about \\#<!-- -->12"),
        ("sa@proj.iam.gserviceaccount.com", "sa@<!-- -->proj.iam.gserviceaccount.com"),
        ("a lone @ and # stay", "a lone @ and \\# stay"),
        # nor does a URL become a link, GH-12 an issue reference, $x$ a formula
        ("see https://evil.example/x", "see https<!-- -->://evil.example/x"),
        ("or www.evil.example", "or www<!-- -->.evil.example"),
        ("fixes GH-12", "fixes GH-<!-- -->12"),
        ("costs $5 or $x^2$", "costs \\$5 or \\$x^2\\$"),
        ("a www-folder and GH-x stay", "a www-folder and GH-x stay"),
    ],
)
def test_escape(text: str, expected: str) -> None:
    assert md.escape(text) == expected


def test_cell_keeps_lines_apart_with_br() -> None:
    assert md.cell("a|b\n<c>") == "a\\|b<br>&lt;c&gt;"


@pytest.mark.parametrize(
    ("text", "in_table", "expected"),
    [
        ("roles/run.invoker", False, "`roles/run.invoker`"),
        ("a`b", False, "``a`b``"),
        ("x ``` y", False, "````x ``` y````"),
        ("`starts", False, "`` `starts ``"),
        ("two\nlines", False, "`two lines`"),
        ("a|b", True, "`a\\|b`"),
        ("a|b", False, "`a|b`"),
        ("", False, "` `"),
    ],
)
def test_code_span(text: str, in_table: bool, expected: str) -> None:
    assert md.code(text, in_table=in_table) == expected


def test_table() -> None:
    assert md.table(
        ["Type", "Added", "Removed"],
        [[md.code("a|b", in_table=True), "1", "0"], [md.cell("x\ny"), "2", "3"]],
        align="lrr",
    ) == "\n".join(
        [
            "| Type | Added | Removed |",
            "| --- | ---: | ---: |",
            "| `a\\|b` | 1 | 0 |",
            "| x<br>y | 2 | 3 |",
        ]
    )


def test_table_refuses_a_row_of_another_width() -> None:
    with pytest.raises(ValueError, match="has 1 cells, not 2"):
        md.table(["a", "b"], [["only"]])


def test_fold_leaves_blank_lines_for_markdown_and_escapes_the_summary() -> None:
    assert md.fold("3 more <errors> & co", "- one\n- two\n") == (
        "<details><summary>3 more &lt;errors&gt; &amp; co</summary>\n\n- one\n- two\n\n</details>"
    )


def test_fenced_block_outlasts_backticks_inside() -> None:
    assert md.fenced("+ a\n- b\n", "diff") == "```diff\n+ a\n- b\n```"
    assert md.fenced("x\n````\ny", "text") == "`````text\nx\n````\ny\n`````"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://github.com/o/r/blob/abc", "https://github.com/o/r/blob/abc"),
        ("http://ghe.local/o/r/blob/abc/", "http://ghe.local/o/r/blob/abc"),
    ],
)
def test_link_base(value: str, expected: str) -> None:
    assert md.link_base(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "github.com/o/r",
        "ftp://host/x",
        "https://",
        "https://host/x?ref=1",
        "https://host/x#L1",
        "https://host/a b",
        "javascript:alert(1)",
    ],
)
def test_link_base_refuses(value: str) -> None:
    with pytest.raises(md.LinkBaseError, match="is not an http\\(s\\) URL"):
        md.link_base(value)


def test_position_without_and_with_a_link_base() -> None:
    assert md.position("infrastructure/pulumi/Pulumi.sandbox.yaml", 12) == (
        "`infrastructure/pulumi/Pulumi.sandbox.yaml:12`"
    )
    assert md.position("projects/x", 0) == "`projects/x`"
    base = "https://github.com/o/r/blob/abc"
    assert md.position("infrastructure/pulumi/Pulumi.sandbox.yaml", 12, base) == (
        "[`infrastructure/pulumi/Pulumi.sandbox.yaml:12`]"
        "(https://github.com/o/r/blob/abc/infrastructure/pulumi/Pulumi.sandbox.yaml#L12)"
    )
    assert md.position("a (1)/b#c.yaml", 0, base) == (
        "[`a (1)/b#c.yaml`](https://github.com/o/r/blob/abc/a%20%281%29/b%23c.yaml)"
    )
