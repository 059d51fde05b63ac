"""``polyinfra rollback``: an app back to an earlier version without a new build.

This package's top level is the record of a job's previous template, which ``deploy`` writes
(:func:`record_previous`); what a rollback changes and its write are in :mod:`.plan`, the
re-render from git in :mod:`.git`.
"""

from polyinfra.deploy.rollback.record import (
    MAX_RECORD_BYTES,
    PREVIOUS_TEMPLATE_ANNOTATION,
    PreviousTemplate,
    previous_template,
    record_previous,
)

__all__ = [
    "MAX_RECORD_BYTES",
    "PREVIOUS_TEMPLATE_ANNOTATION",
    "PreviousTemplate",
    "previous_template",
    "record_previous",
]
