"""YAML that remembers where every value came from, and round-trip edits that keep comments.

``load_file`` / ``load_text`` / ``load_all_file`` / ``load_all_text`` give :class:`YamlDocument`
objects: plain Python data (anchors, aliases and merge keys resolved, with a bound on how much
aliases may expand) plus a side table from key path to :class:`~polyinfra.positions.Position`.
``read_text`` reads any input file as UTF-8 (a regular file, size-limited, inside
:class:`Bounds`) and ``load_stack_file`` a Pulumi stack file, with bad bytes and a wrong shape
reported at file:line:col.
"""

from polyinfra.yamlio.document import MAX_NODES, KeyPath, YamlDocument, format_path
from polyinfra.yamlio.load import load_all_file, load_all_text, load_file, load_text
from polyinfra.yamlio.stack import load_stack_file, read_stack_file, stack_document
from polyinfra.yamlio.text import Bounds, read_text

__all__ = [
    "MAX_NODES",
    "Bounds",
    "KeyPath",
    "YamlDocument",
    "format_path",
    "load_all_file",
    "load_all_text",
    "load_file",
    "load_stack_file",
    "load_text",
    "read_stack_file",
    "read_text",
    "stack_document",
]
