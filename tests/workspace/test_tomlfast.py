"""The plain-TOML fast path gives tomllib's answer or none: on hand-written cases, on every
pyproject.toml in the repository, and on thousands of mutations of them."""

from __future__ import annotations

import random
import tomllib
from pathlib import Path

import pytest

from polyinfra.workspace.tomlfast import parse_plain

REPO = Path(__file__).resolve().parents[2]

PLAIN = [
    "",
    "\n\n# only a comment\n",
    "a = \"x\"\nb = 'y'\nc = true\nd = false\ne = -0\nf = 12\n",
    '[project]\nname = "svc"  # trailing\nversion = "0"\n',
    '[tool.polylith.bricks]\n"../../bases/ns/api" = "ns/api"\n\'lit\' = "ns/x"\n',
    '[ tool . "quoted key" ]\nx = 1\n',
    "[a.b]\nx = 1\n[a]\ny = 2\n[a.c]\n",
    'deps = [\n  "a>=1", # why\n  "b",\n]\nempty = []\nnested = [[1, 2], ["x"]]\n',
    'src = { workspace = true }\nt = {}\npk = [{ include = "ns", from = "src" }]\n',
    '"" = 1\n1234 = "bare number key"\n',
    "a = [ 1 , 2 ]  # done",
]

NOT_PLAIN = [
    "a = 1.5\n",
    "d = 1979-05-27\n",
    'a = "esc\\"aped"\n',
    'a = """multi"""\n',
    "a.b = 1\n",
    "a = 1\na = 2\n",
    "[a]\n[a]\n",
    "a = 1\n[a]\n",
    "a = {x = 1}\n[a.b]\n",
    "[[a]]\nx = 1\n",
    "a = 1_000\n",
    "a = 0x1f\n",
    "a = +1\n",
    "a = 01\n",
    "a = trueish\n",
    "a = {x = 1,}\n",
    "a = {x = [\n1]}\n",
    "a = 1\r\n",
    "\ufeffa = 1\n",
    "a = 1 b = 2\n",
    "[a]x = 1\n",
    "a =\n",
    "a = inf\n",
    "# bell \x07\n",
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_files_read_as_tomllib_reads_them(text: str) -> None:
    assert parse_plain(text) == tomllib.loads(text)


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_other_files_are_left_to_tomllib(text: str) -> None:
    assert parse_plain(text) is None


def _corpus() -> list[str]:
    found = []
    for path in sorted(REPO.glob("**/*.toml")):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        try:
            found.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            continue
    return [*PLAIN, *NOT_PLAIN, *found]


def test_every_toml_file_of_the_repository() -> None:
    plain = 0
    for text in _corpus():
        fast = parse_plain(text)
        if fast is not None:
            plain += 1
            assert fast == tomllib.loads(text)
    assert plain > 10  # the subset covers real project files


def test_mutations_never_give_another_answer() -> None:
    """Characters deleted, repeated or inserted anywhere: the fast path answers only what
    tomllib answers, and never accepts what tomllib refuses."""
    rng = random.Random(20261129)
    corpus = _corpus()
    alphabet = ['"', "'", "[", "]", "{", "}", "=", ",", ".", "#", "\n", " ", "\\", "a", "1", "-"]
    for _ in range(6000):
        text = rng.choice(corpus)
        if not text:
            continue
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(text) + 1)
            roll = rng.random()
            if roll < 0.4:
                text = text[:at] + text[at + 1 :]
            elif roll < 0.6:
                text = text[:at] + text[at : at + 8] + text[at:]
            else:
                text = text[:at] + rng.choice(alphabet) + text[at:]
        fast = parse_plain(text)
        if fast is None:
            continue
        try:
            expected = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            pytest.fail(f"accepted what tomllib refuses ({exc}):\n{text}")
        assert fast == expected, text
