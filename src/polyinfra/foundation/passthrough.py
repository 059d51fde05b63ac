"""The base of every *pass-through* section of a stack file: a model whose own keys are typed
fields and whose other keys are pulumi-gcp arguments, checked against the installed provider's
``*Args`` class before the model is built (:mod:`polyinfra.foundation.keys`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


class PassThrough(BaseModel):
    """A section whose extra keys are pulumi-gcp arguments (checked against ``ARGS``)."""

    # Extra keys are allowed here only because ``argspec.check_args`` has already accepted
    # each of them against the provider's own Args class: that check is stricter than a
    # hand-written field list and cannot drift from the installed pulumi-gcp.
    model_config = ConfigDict(extra="allow", frozen=True)

    #: ``"<module>.<ArgsClass>"`` in pulumi_gcp.
    ARGS: ClassVar[str]
    #: Provider arguments the program sets itself, so the user need not.
    SUPPLIED: ClassVar[frozenset[str]] = frozenset({"project"})
    #: Provider arguments the program owns; the user may not set them.
    EXCLUDED: ClassVar[frozenset[str]] = frozenset()
    #: Keys of ours that are not provider arguments.
    OWN: ClassVar[frozenset[str]] = frozenset()
    #: Provider arguments that also take a plain string, written out by :meth:`expand`
    #: (argument -> what the string stands for, for the JSON Schema).
    SHORTHANDS: ClassVar[dict[str, str]] = {}

    @classmethod
    def expand(cls, value: dict[str, Any]) -> dict[str, Any]:
        """``value`` with its shorthand forms (``SHORTHANDS``) written out as the provider takes
        them; other values as they are."""
        return value

    @model_validator(mode="before")
    @classmethod
    def _expand_shorthands(cls, value: Any) -> Any:
        return cls.expand(value) if isinstance(value, dict) else value

    @property
    def args(self) -> dict[str, Any]:
        """The provider arguments of the section: every key except our own (``OWN``)."""
        return self.model_dump(exclude=set(self.OWN), exclude_none=True)
