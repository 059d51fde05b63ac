"""Split one ``Pulumi.<stack>.yaml`` of a single foundation program into the platform's and the
services' stack files of the three-stack layout, line by line.

Whole entries move: the lines of an entry (the comment lines right above its key, its key and
its value) go to one file or to both, in their original order, so comments, blank lines,
quoting, anchors and aliases are kept as written. What goes where:

- both: ``gcp:*``, ``label:*``, ``input:environment``, ``input:bucket``, ``input:protect``, and
  everything outside ``config`` (the header comments, ``encryptionsalt``...);
- platform: ``input:workload_identity``, ``input:networks``, ``input:notification_channels``,
  and each ``input:projects.<p>``'s ``artifact_registry`` and ``apis``;
- services: the rest of ``input:projects``, ``input:monitoring``, everything else;
- a shared value (an ``input:<x>`` key that only holds an anchor): every file that uses it
  through an alias (services when neither does).

``gcp:project`` stays as written in both (the Pulumi engine reads provider settings before the
program runs, so they cannot be references). In services, a
``input:monitoring.notification_channel_id`` naming a moved channel becomes
``${platform.notification_channels.<name>}``, and the old program's own keys
(``<old name>:<key>``) are renamed to the services program's name. Both results are loaded
again and must hold exactly the data the split says before they are returned.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from polyinfra.errors import PolyinfraError, UserError
from polyinfra.foundation.model import InputConfig
from polyinfra.positions import Position
from polyinfra.yamlio import stack_document
from polyinfra.yamlio.nodes import Node, Tree, node_tree

PROJECTS = "input:projects"
MONITORING = "input:monitoring"
CHANNELS = "input:notification_channels"
PLATFORM_KEYS = frozenset({"input:workload_identity", "input:networks", CHANNELS})
BOTH_KEYS = frozenset({"input:environment", "input:bucket", "input:protect"})
PLATFORM_SECTIONS = frozenset({"artifact_registry", "apis"})
_INPUT_FIELDS = frozenset(InputConfig.model_fields)
_SEGMENT = re.compile(r"[^\s.${}]+")

Side = Literal["platform", "services"]
_Where = Literal["both", "platform", "services", "shared", "split"]


@dataclass(frozen=True)
class SplitStack:
    """The two stack files one stack file becomes, and the config keys each holds."""

    platform: str
    services: str
    platform_keys: tuple[str, ...]
    services_keys: tuple[str, ...]


@dataclass
class _Part:
    """Lines ``[start, end)`` of the original text and the side(s) they go to."""

    start: int
    end: int
    sides: set[Side]


def split_stack(text: str, path: Path, *, old_name: str, services_name: str) -> SplitStack:
    """``text`` (the stack file ``path`` of the Pulumi project ``old_name``) split as the module
    says; a :class:`UserError` at the line that cannot be split."""
    doc = stack_document(text, path)
    lines = text.splitlines(keepends=True)
    tree = node_tree(text)
    config = doc.data.get("config") if isinstance(doc.data, dict) else None
    root = tree.root
    if not isinstance(config, dict) or root is None or root.kind != "mapping":
        return SplitStack(text, text, (), ())  # nothing to split: the same file twice
    splitter = _Splitter(lines, path, tree, old_name, services_name)
    parts = splitter.parts(root)
    platform = splitter.render(parts, "platform")
    services = splitter.render(parts, "services")
    expected = splitter.expected(doc.data, config)
    _check(platform, path, expected["platform"], "platform")
    _check(services, path, expected["services"], "services", splitter.read_back)
    return SplitStack(
        platform,
        services,
        tuple(k for k in config if "platform" in splitter.sides_of(k)),
        tuple(splitter.renamed(k) for k in config if "services" in splitter.sides_of(k)),
    )


class _Splitter:
    def __init__(
        self, lines: list[str], path: Path, tree: Tree, old_name: str, services_name: str
    ) -> None:
        self.lines = lines
        self.path = path
        self.tree = tree
        self.old_prefix = f"{old_name}:"
        self.new_prefix = f"{services_name}:"
        self.where: dict[str, _Where] = {}
        self.shared: dict[str, _Part] = {}  # shared key -> its lines (sides: who uses it)
        self.project_sides: dict[str, set[Side]] = {}
        self.edits: list[tuple[Node, str]] = []  # services only: node -> its new text
        self.channel_names: set[str] = set()
        self.channel: str | None = None  # the channel name replaced by a reference

    # --- deciding ---------------------------------------------------------------------------

    def parts(self, root: Node) -> list[_Part]:
        """Every line of the text, in order, with the side(s) it goes to."""
        if root.flow:
            raise self._error(
                root.start,
                "the stack file is written in flow style ({...})",
                "write it in block style, one key per line",
            )
        parts: list[_Part] = []
        top = _spans(self.lines, root, 0, len(self.lines))
        for entry, (start, end) in zip(root.entries, top, strict=True):
            config = entry.value
            if entry.key != "config" or config.kind != "mapping" or not config.entries:
                parts.append(_Part(start, end, {"platform", "services"}))
                continue
            if config.flow:
                raise self._error(
                    config.start,
                    "`config` is written in flow style ({...})",
                    "write `config` in block style, one key per line, then run again",
                )
            head_end = entry.key_node.start[0] + 1
            parts.append(_Part(start, head_end, {"platform", "services"}))
            parts.extend(self._config_parts(config, head_end, end))
        self._share(parts)
        return parts

    def _config_parts(self, config: Node, start: int, end: int) -> list[_Part]:
        channels = config.get(CHANNELS)
        for item in channels.items if channels is not None else ():
            name = item.get("name")
            if name is not None and name.value:
                self.channel_names.add(name.value)
        parts: list[_Part] = []
        spans = _spans(self.lines, config, start, end)
        for entry, (first, last) in zip(config.entries, spans, strict=True):
            key = entry.key
            if key is None:
                raise self._error(
                    entry.key_node.start,
                    "a config key that is not a plain string (a merge key `<<`?)",
                    "write each config key out as `namespace:key: value`",
                )
            where = self._where(key)
            self.where[key] = where
            if where == "split":
                parts.extend(self._projects_parts(entry.value, key, entry.key_node, first, last))
                continue
            part = _Part(first, last, set(_SIDES_OF.get(where, ())))
            parts.append(part)
            if where == "shared":
                self.shared[key] = part
            if key == MONITORING:
                self._rewrite_channel(entry.value)
            elif key.startswith(self.old_prefix):
                written = self._node_text(entry.key_node)
                self.edits.append(
                    (entry.key_node, written.replace(self.old_prefix, self.new_prefix, 1))
                )
        return parts

    def _where(self, key: str) -> _Where:
        if key.startswith(("gcp:", "label:")) or key in BOTH_KEYS:
            return "both"
        if key in PLATFORM_KEYS:
            return "platform"
        if key == PROJECTS:
            return "split"
        if key.startswith("input:") and key[len("input:") :] not in _INPUT_FIELDS:
            return "shared"
        return "services"

    def _projects_parts(
        self, projects: Node, key: str, key_node: Node, first: int, last: int
    ) -> list[_Part]:
        if projects.kind == "alias":
            self._splittable(projects, key)
        if projects.kind != "mapping" or not projects.entries:
            # `input:projects: {}` (or not a mapping, which validation reports): kept whole
            self.where[key] = "services"
            return [_Part(first, last, {"services"})]
        self._splittable(projects, key)
        head = _Part(first, key_node.start[0] + 1, set())
        parts = [head]
        spans = _spans(self.lines, projects, head.end, last)
        for entry, (start, end) in zip(projects.entries, spans, strict=True):
            name = entry.key
            if name is None:
                raise self._error(
                    entry.key_node.start,
                    f"an entry of {key} whose key is not a plain string (a merge key `<<`?)",
                    "write each project out under its own name",
                )
            path = f"{key}.{name}"
            value = entry.value
            if value.kind != "mapping" or not value.entries:
                self._splittable(value, path)
                parts.append(_Part(start, end, {"services"}))
                self.project_sides[name] = {"services"}
                head.sides.add("services")
                continue
            self._splittable(value, path)
            project_head = _Part(start, entry.key_node.start[0] + 1, set())
            parts.append(project_head)
            sections = _spans(self.lines, value, project_head.end, end)
            for section, (s, e) in zip(value.entries, sections, strict=True):
                if section.key is None:
                    raise self._error(
                        section.key_node.start,
                        f"{path} has a key that is not a plain string (a merge key `<<`?)",
                        f"write the sections of {path} out, one per key",
                    )
                side: Side = "platform" if section.key in PLATFORM_SECTIONS else "services"
                parts.append(_Part(s, e, {side}))
                project_head.sides.add(side)
            self.project_sides[name] = set(project_head.sides)
            head.sides |= project_head.sides
        return parts

    def _splittable(self, node: Node, path: str) -> None:
        """``node`` must be written here (not an alias), in block style, and not aliased."""
        if node.kind == "alias":
            raise self._error(
                node.start,
                f"{path} is an alias (*{node.anchor})",
                f"write {path} out here instead of *{node.anchor}, then run again",
            )
        if node.kind != "mapping":
            return
        if node.flow:
            raise self._error(
                node.start,
                f"{path} is written in flow style ({{...}})",
                f"write {path} in block style, one entry per line, then run again",
            )
        if node.anchor and self.tree.aliased(node.anchor):
            raise self._error(
                node.start,
                f"{path} is anchored (&{node.anchor}) and used through an alias",
                f"write out the values that use *{node.anchor}, then run again",
            )

    def _share(self, parts: list[_Part]) -> None:
        """Give each shared value to the sides whose lines use it through an alias (again for
        the aliases inside it), a value no side uses to services; an alias whose anchor goes
        only to the other side is an error."""
        owner = [0] * len(self.lines)
        for index, part in enumerate(parts):
            owner[part.start : part.end] = [index] * (part.end - part.start)
        self._propagate(parts, owner)
        unused = [part for part in self.shared.values() if not part.sides]
        for part in unused:
            part.sides.add("services")
        if unused:
            self._propagate(parts, owner)

    def _propagate(self, parts: list[_Part], owner: list[int]) -> None:
        shared = {id(part) for part in self.shared.values()}
        changed = True
        while changed:
            changed = False
            for alias in self.tree.aliases:
                anchored = self.tree.defined(alias)
                if anchored is None:
                    continue
                used, defined = parts[owner[alias.start[0]]], parts[owner[anchored.start[0]]]
                for side in used.sides - defined.sides:
                    if id(defined) not in shared:
                        raise self._alias_error(alias, anchored, side)
                    defined.sides.add(side)
                    changed = True

    def _alias_error(self, alias: Node, anchored: Node, side: Side) -> UserError:
        other = "services" if side == "platform" else "platform"
        return UserError(
            f"alias *{alias.anchor} goes to the {side} stack file, but its anchor &"
            f"{anchored.anchor} (line {anchored.start[0] + 1}) goes to the {other} stack file only",
            position=Position(self.path, alias.start[0] + 1, alias.start[1] + 1),
            hint=f"move the anchored value to a config key of its own (`input:{anchored.anchor}"
            f": &{anchored.anchor} ...`: a shared value is copied to every stack file that "
            "uses it), or write the value out here, then run again",
        )

    # --- rewriting --------------------------------------------------------------------------

    def _rewrite_channel(self, monitoring: Node) -> None:
        channel = monitoring.get("notification_channel_id")
        if channel is None or channel.kind != "scalar" or channel.value is None:
            return
        name = channel.value
        if name in self.channel_names and _SEGMENT.fullmatch(name):
            anchor = f"&{channel.anchor} " if channel.anchor else ""
            self.edits.append((channel, anchor + channel_reference(name)))
            self.channel = name

    def _node_text(self, node: Node) -> str:
        (l1, c1), (l2, c2) = node.start, node.end
        if l1 == l2:
            return self.lines[l1][c1:c2]
        return self.lines[l1][c1:] + "".join(self.lines[l1 + 1 : l2]) + self.lines[l2][:c2]

    # --- writing ----------------------------------------------------------------------------

    def render(self, parts: list[_Part], side: Side) -> str:
        lines = list(self.lines)
        if side == "services":
            for node, text in sorted(self.edits, key=lambda e: e[0].start, reverse=True):
                (l1, c1), (l2, c2) = node.start, node.end
                if l2 > l1 and c2 == 0:  # ends where the next line starts
                    l2, c2 = l2 - 1, len(lines[l2 - 1].rstrip("\r\n"))
                tail = lines[l2][c2:]
                lines[l1] = lines[l1][:c1] + text + tail
                for index in range(l1 + 1, l2 + 1):
                    lines[index] = ""
        kept = [
            line for part in parts if side in part.sides for line in lines[part.start : part.end]
        ]
        newline = "\r\n" if self.lines and self.lines[0].endswith("\r\n") else "\n"
        for index, line in enumerate(kept[:-1]):
            if line and not line.endswith("\n"):
                kept[index] = line + newline
        return "".join(kept)

    def sides_of(self, key: str) -> set[Side]:
        where = self.where.get(key, "services")
        if where == "shared":
            return self.shared[key].sides
        if where == "split":
            return {s for sides in self.project_sides.values() for s in sides}
        return set(_SIDES_OF[where])

    def renamed(self, key: str) -> str:
        """``key`` as the services stack file writes it."""
        if key.startswith(self.old_prefix):
            return self.new_prefix + key[len(self.old_prefix) :]
        return key

    def expected(self, data: dict[str, Any], config: dict[str, Any]) -> dict[Side, Any]:
        """What each file must load as (with the references services gets read back as the
        values they replace): the original data, divided as decided."""
        result: dict[Side, Any] = {}
        for side in _SIDES:
            mine: dict[str, Any] = {}
            for key, value in config.items():
                if side not in self.sides_of(key):
                    continue
                if key == PROJECTS and isinstance(value, dict) and self.where[key] == "split":
                    value = {
                        name: _sections(entry, side)
                        for name, entry in value.items()
                        if side in self.project_sides[name]
                    }
                mine[self.renamed(key) if side == "services" else key] = value
            result[side] = {k: (mine if k == "config" else v) for k, v in data.items()}
        return result

    def read_back(self, data: Any) -> Any:
        """The services file's data with its new references read as what they replaced."""
        if isinstance(data, dict):
            return {k: self.read_back(v) for k, v in data.items()}
        if isinstance(data, list):
            return [self.read_back(v) for v in data]
        if self.channel is not None and data == channel_reference(self.channel):
            return self.channel
        return data

    def _error(self, at: tuple[int, int], what: str, hint: str) -> UserError:
        return UserError(
            f"{what}: it cannot be split between the platform and the services stack files",
            position=Position(self.path, at[0] + 1, at[1] + 1),
            hint=hint,
        )


_SIDES: tuple[Side, Side] = ("platform", "services")
_SIDES_OF: dict[str, tuple[Side, ...]] = {
    "both": _SIDES,
    "platform": ("platform",),
    "services": ("services",),
    "shared": (),
}


def channel_reference(name: str) -> str:
    """The reference to the platform's notification channel ``name``."""
    return f"${{platform.notification_channels.{name}}}"


def _sections(entry: Any, side: Side) -> Any:
    """The sections of one ``input:projects`` entry that go to ``side``."""
    if not isinstance(entry, dict):
        return entry
    platform = side == "platform"
    return {k: v for k, v in entry.items() if (k in PLATFORM_SECTIONS) == platform}


def _spans(lines: list[str], mapping: Node, start: int, end: int) -> list[tuple[int, int]]:
    """The lines of each entry of the block ``mapping`` within lines ``[start, end)``: the
    comment and blank lines right above an entry's key (those indented no deeper than the key)
    are the entry's; what the last entry is followed by up to ``end`` is the last entry's."""
    keys = [entry.key_node.start for entry in mapping.entries]
    if not keys:
        return []
    column = keys[0][1]
    firsts = [start]
    for (line, _), (next_line, _) in pairwise(keys):
        last = line
        for index in range(line + 1, next_line):
            raw = lines[index]
            stripped = raw.strip()
            if stripped and not (stripped.startswith("#") and _indent(raw) <= column):
                last = index
        firsts.append(last + 1)
    return list(zip(firsts, [*firsts[1:], end], strict=True))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _check(text: str, path: Path, expected: Any, side: str, read_back: Any = None) -> None:
    """``text`` must load as ``expected`` (after ``read_back``), else it is a bug of the split."""
    try:
        loaded = stack_document(text, path).data
    except UserError as exc:
        raise PolyinfraError(f"{path}: the {side} part of the split is invalid: {exc}") from exc
    if read_back is not None:
        loaded = read_back(loaded)
    if loaded != expected:
        raise PolyinfraError(f"{path}: the {side} part of the split does not hold what it should")
