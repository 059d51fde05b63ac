"""IAM members: who a grant is for."""

from __future__ import annotations

import re
from typing import Any

from polyinfra.suggest import closest
from polyinfra.values.base import InvalidValue, _text, shown

#: The members pulumi-gcp's IAM member resources take (``member`` of e.g.
#: ``secretmanager.SecretIamMember``: allUsers, allAuthenticatedUsers, user:{emailid},
#: serviceAccount:{emailid}, group:{emailid}, domain:{domain}, projectOwner:projectid,
#: projectEditor:projectid, projectViewer:projectid, and federated identities
#: principal://... / principalSet://...).
SPECIAL_MEMBERS = ("allUsers", "allAuthenticatedUsers")
#: Kinds of member followed by an email address.
EMAIL_KINDS = ("user", "serviceAccount", "group")
#: Kinds followed by a domain or a project id.
OTHER_KINDS = ("domain", "projectOwner", "projectEditor", "projectViewer")
FEDERATED = ("principal://", "principalSet://")

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+", re.ASCII)
_PLAIN = re.compile(r"[^\s:]+", re.ASCII)
_FORMS = "serviceAccount:<email>, user:<email>, group:<email>, domain:<domain>, principal://..."


def iam_member(value: Any) -> Any:
    """An IAM member: ``serviceAccount:<email>``, ``group:<email>``, ``allUsers``...

    >>> iam_member("group:analysts@acme.example")
    'group:analysts@acme.example'
    >>> try:
    ...     iam_member("serviceaccount:x@acme.example")
    ... except InvalidValue as exc:
    ...     print(exc.hint)
    did you mean 'serviceAccount:x@acme.example'?
    """
    text = _text(value, "an IAM member")
    if text in SPECIAL_MEMBERS or text.startswith(FEDERATED):
        return value
    kind, colon, rest = text.partition(":")
    if colon and kind in EMAIL_KINDS and _EMAIL.fullmatch(rest):
        return value
    if colon and kind in OTHER_KINDS and _PLAIN.fullmatch(rest):
        return value
    known = (*EMAIL_KINDS, *OTHER_KINDS)
    if colon and kind not in known:
        close = closest(kind, known)
        hint = f"did you mean '{close}:{rest}'?" if close else f"a member is one of {_FORMS}"
    elif not colon and _EMAIL.fullmatch(text):
        kind = "serviceAccount" if text.endswith(".gserviceaccount.com") else "user"
        hint = f"a member names its kind: did you mean '{kind}:{text}'?"
    elif not colon:
        close = closest(text, SPECIAL_MEMBERS)
        hint = f"did you mean '{close}'?" if close else f"a member is one of {_FORMS}"
    else:
        what = "an email address" if kind in EMAIL_KINDS else "a name without spaces"
        hint = f"{kind}: is followed by {what}"
    raise InvalidValue(f"{shown(text)} is not an IAM member", hint)
