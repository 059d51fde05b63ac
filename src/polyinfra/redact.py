"""Secrets kept out of what polyinfra prints: every message, hint, source excerpt, diff line and
streamed tool output goes through a :class:`Redactor` before it reaches the terminal, a report
or a log.

Two kinds of values are replaced by ``<redacted>``:

- credential-shaped text, whatever file it came from: well-known key formats (Stripe
  ``sk_live_``/``sk_test_``/``rk_live_``, GitHub ``ghp_``/``github_pat_``, Slack ``xoxb-``, AWS
  ``AKIA``, Google ``AIza`` API keys and ``ya29.`` tokens, JWTs, PEM private key blocks), the
  password of a URL (``postgres://user:<redacted>@host``), and long random-looking tokens
  (upper case, lower case and digits mixed the way random text mixes them; identifiers,
  image references, paths and hex digests are not);
- the values a workspace marks secret (:func:`workspace_secrets`): Pulumi ``secure:``
  ciphertexts, and the literal values of environment variables that a ``secretKeyRef``, the
  ``run.googleapis.com/secrets`` annotation or a Secret Manager secret of a stack file names,
  or whose name says it holds one (``*_TOKEN``, ``*PASSWORD*``...).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from polyinfra.cloudrun.vocabulary import SECRETS_ANNOTATION

REDACTED = "<redacted>"

#: Key formats that are credentials wherever they appear.
_KEYS = re.compile(
    "|".join(
        (
            r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----"
            r"|[^\n\"']*)",
            r"\b(?:sk|rk)_(?:live|test)_[0-9A-Za-z]{8,}",
            r"\bgh[pousr]_[0-9A-Za-z]{20,}",
            r"\bgithub_pat_[0-9A-Za-z_]{20,}",
            r"\bglpat-[0-9A-Za-z_-]{20,}",
            r"\bxox[abposr]-[0-9A-Za-z-]{10,}",
            r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
            r"\bAIza[0-9A-Za-z_-]{35}",
            r"\bya29\.[0-9A-Za-z_-]{20,}",
            r"\beyJ[0-9A-Za-z_-]{8,}\.eyJ[0-9A-Za-z_-]{8,}\.[0-9A-Za-z_-]*",
        )
    )
)
#: The password of a URL: ``scheme://user:PASSWORD@host``.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s:/@\"'<>]*:([^\s@/\"'<>]+)@")
#: Candidates for a random token: long runs of base64/base64url characters.
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{32,}={0,2}")
_DIGEST = re.compile(r"^(?:sha(?:1|224|256|384|512)-)|^[0-9a-fA-F]+$")
#: A token is random-looking when its characters are this unpredictable (bits per character;
#: random base64 text of 32 characters scores 4.2 or more 99 times in 100, camel-case
#: identifiers of that length 3.6 to 4.3) ...
MIN_ENTROPY = 4.0
#: ... and when this share of neighbouring characters changes class (lower, upper, digit,
#: other): random text 0.42 or more 99 times in 100, identifiers such as
#: ``GoogleDevtoolsCloudbuildV1BuildStep`` at most 0.33.
MIN_CLASS_CHANGES = 0.4
#: The shortest workspace secret value replaced wherever it appears (a shorter one would
#: blank out ordinary words).
MIN_SECRET_LENGTH = 8


def entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    counts = Counter(text)
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values()) if size else 0.0


def _kind(char: str) -> int:
    if char.islower():
        return 0
    if char.isupper():
        return 1
    if char.isdigit():
        return 2
    return 3


def looks_random(token: str) -> bool:
    """Whether ``token`` (a run of base64 characters) reads as a random secret rather than an
    identifier, a path or a digest."""
    if _DIGEST.search(token):
        return False
    kinds = [_kind(char) for char in token]
    if not {0, 1, 2} <= set(kinds):
        return False
    changes = sum(1 for a, b in itertools.pairwise(kinds) if a != b)
    if changes / (len(token) - 1) < MIN_CLASS_CHANGES:
        return False
    return entropy(token) >= MIN_ENTROPY


@dataclass(frozen=True)
class Redactor:
    """Replaces credential-shaped text and ``secrets`` (values the workspace marks secret)
    by :data:`REDACTED`."""

    secrets: frozenset[str] = frozenset()

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where ``text`` holds something to redact: sorted, non-overlapping ``(start, end)``."""
        found: list[tuple[int, int]] = []
        found.extend(m.span() for m in _KEYS.finditer(text))
        found.extend(m.span(1) for m in _URL_PASSWORD.finditer(text))
        found.extend(m.span() for m in _TOKEN.finditer(text) if looks_random(m.group()))
        for secret in self.secrets:
            start = text.find(secret)
            while start >= 0:
                found.append((start, start + len(secret)))
                start = text.find(secret, start + len(secret))
        return _merged(found)

    def __call__(self, text: str) -> str:
        """``text`` with every secret replaced."""
        return self.with_column(text, 0)[0]

    def with_column(self, text: str, col: int) -> tuple[str, int]:
        """``text`` redacted, and where column ``col`` (1-based; 0: none) of ``text`` is in
        it: a caret under a secret points at the start of its ``<redacted>``."""
        spans = self.spans(text)
        if not spans:
            return text, col
        parts: list[str] = []
        last = 0
        for start, end in spans:
            parts += [text[last:start], REDACTED]
            last = end
        parts.append(text[last:])
        return "".join(parts), _moved(col, spans)

    def data(self, value: Any) -> Any:
        """``value`` (JSON-like data) with every string in it redacted; keys are kept."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.data(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(item) for item in value]
        return value


def _moved(col: int, spans: list[tuple[int, int]]) -> int:
    """Column ``col`` of a text once ``spans`` of it are replaced by :data:`REDACTED`."""
    if not col:
        return 0
    index = col - 1
    shift = 0
    for start, end in spans:
        if index < start:
            break
        if index < end:
            return start + shift + 1
        shift += len(REDACTED) - (end - start)
    return index + shift + 1


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


#: Credential shapes only, for output that comes with no workspace (a tool's stream, an error).
redact = Redactor()


# --- what a workspace marks secret ------------------------------------------------------------

_SECRET_NAME = re.compile(
    r"(^|_)(TOKEN|KEY|SECRET|PASSWORD|PASSWD|PASS|PWD|CREDENTIALS?|PRIVATE_KEY)$"
    r"|PASSWORD|SECRET",
    re.IGNORECASE,
)
_NOT_A_VALUE = re.compile(r"^[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*$|^\$[({]|^projects/")


def secret_name(name: str) -> bool:
    """Whether an environment variable's name reads like a credential (``*_TOKEN``, ``*_KEY``,
    ``*PASSWORD*``, ``*SECRET*``), unless it says it is public (``PUBLIC_KEY``).

    >>> secret_name("API_TOKEN"), secret_name("GCP_PROJECT_ID"), secret_name("PUBLIC_KEY")
    (True, False, False)
    """
    return "PUBLIC" not in name.upper() and bool(_SECRET_NAME.search(name))


def workspace_secrets(manifests: Iterable[Any], stacks: Iterable[Any] = ()) -> frozenset[str]:
    """The values ``manifests`` (Kubernetes-style objects as plain data) and ``stacks`` (stack
    files as plain data) mark secret: every Pulumi ``secure:`` ciphertext, and every literal
    value of an environment variable that is named by a ``secretKeyRef``, the
    ``run.googleapis.com/secrets`` annotation or a stack's Secret Manager secret, or whose
    name says it holds a secret. Values shorter than :data:`MIN_SECRET_LENGTH`, placeholders
    and ``projects/...`` references are left out."""
    manifests = list(manifests)
    stacks = list(stacks)
    names: set[str] = set()
    values: set[str] = set()
    for stack in stacks:
        values.update(_secure_values(stack))
        names.update(_secret_ids(stack))
    for manifest in manifests:
        for env in _env_entries(manifest):
            ref = env.get("valueFrom")
            if isinstance(ref, dict) and isinstance(ref.get("secretKeyRef"), dict):
                names.add(str(env.get("name")))
        for table in _annotations(manifest):
            mounted = table.get(SECRETS_ANNOTATION)
            if isinstance(mounted, str):
                names.update(e.split(":", 1)[0].strip() for e in mounted.split(",") if ":" in e)
    for manifest in manifests:
        for env in _env_entries(manifest):
            name, value = env.get("name"), env.get("value")
            if not isinstance(name, str) or not isinstance(value, str):
                continue
            if name in names or secret_name(name):
                values.add(value)
    return frozenset(
        v for v in values if len(v) >= MIN_SECRET_LENGTH and not _NOT_A_VALUE.search(v.strip())
    )


def _walk(data: Any) -> Iterator[Any]:
    yield data
    if isinstance(data, dict):
        for item in data.values():
            yield from _walk(item)
    elif isinstance(data, list):
        for item in data:
            yield from _walk(item)


def _env_entries(manifest: Any) -> Iterator[dict[str, Any]]:
    """Every ``env`` entry of every container, wherever the pod spec sits."""
    for node in _walk(manifest):
        if isinstance(node, dict) and isinstance(node.get("env"), list):
            yield from (entry for entry in node["env"] if isinstance(entry, dict))


def _annotations(manifest: Any) -> Iterator[dict[str, Any]]:
    for node in _walk(manifest):
        if isinstance(node, dict) and isinstance(node.get("annotations"), dict):
            yield node["annotations"]


def _secure_values(stack: Any) -> Iterator[str]:
    for node in _walk(stack):
        if isinstance(node, dict) and len(node) == 1 and isinstance(node.get("secure"), str):
            yield node["secure"]


def _secret_ids(stack: Any) -> Iterator[str]:
    """``secret_id`` of every ``secrets`` entry of a stack file's ``input:projects``."""
    for node in _walk(stack):
        if isinstance(node, dict) and isinstance(node.get("secrets"), list):
            for entry in node["secrets"]:
                if isinstance(entry, dict) and isinstance(entry.get("secret_id"), str):
                    yield entry["secret_id"]
