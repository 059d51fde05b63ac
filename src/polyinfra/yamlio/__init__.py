"""YAML that remembers where every value came from, and round-trip edits that keep comments.

``load_file`` / ``load_text`` / ``load_all_file`` / ``load_all_text`` give :class:`YamlDocument`
objects: plain Python data (anchors, aliases and merge keys resolved, with a bound on how much
aliases may expand) plus a side table from key path to :class:`~polyinfra.positions.Position`.
"""

from polyinfra.yamlio.loader import (
    MAX_NODES,
    KeyPath,
    YamlDocument,
    format_path,
    load_all_file,
    load_all_text,
    load_file,
    load_text,
)

__all__ = [
    "MAX_NODES",
    "KeyPath",
    "YamlDocument",
    "format_path",
    "load_all_file",
    "load_all_text",
    "load_file",
    "load_text",
]
