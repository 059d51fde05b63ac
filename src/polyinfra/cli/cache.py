"""`polyinfra cache`: where the cache of plans and renders is, and clearing it."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import typer

from polyinfra.cli.console import err
from polyinfra.cli.state import state

cache_app = typer.Typer(
    name="cache",
    help="The cache of plans and renders that makes a repeated `check` fast: show where it "
    "is, or clear it. It lives in the user's cache folder ($POLYINFRA_CACHE_DIR, else "
    "$XDG_CACHE_HOME/polyinfra, else ~/.cache/polyinfra), never in the workspace.",
    no_args_is_help=True,
)

#: The loggers that say why a cache entry was ignored or not written.
CACHE_LOGGERS = (
    "polyinfra.cache",
    "polyinfra.foundation.plan.cached",
    "polyinfra.manifests.cached",
    "polyinfra.checks.cached",
)


@cache_app.command("dir")
def cache_dir_command() -> None:
    """Print the cache folder."""
    from polyinfra.cache import cache_dir

    typer.echo(str(cache_dir()))


@cache_app.command("clear")
def clear() -> None:
    """Remove every cached plan and render."""
    from polyinfra.cache import default_cache

    cache = default_cache()
    removed = cache.clear()
    err.print(f"Removed {removed} cache file(s) from {cache.root}.", markup=False)


def log_cache_debug() -> None:
    """With ``--debug``: say on stderr why a cache entry was ignored or not written."""
    if not state.debug:
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("debug: %(message)s"))
    for name in CACHE_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
            logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to ``sys.stderr`` as it is when a message comes (not when the handler was made:
    ``main`` runs many times in one process under tests)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def register(app: typer.Typer) -> None:
    """Add the command group to ``app``."""
    app.add_typer(cache_app)
