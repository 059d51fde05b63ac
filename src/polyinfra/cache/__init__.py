"""The incremental cache of ``check``, ``plan`` and ``render``: content-keyed entries under the
user's cache directory, each checked before it is trusted (:mod:`polyinfra.cache.store`), and
the digests their keys are made of (:mod:`polyinfra.cache.keys`)."""

from polyinfra.cache.keys import (
    TooLarge,
    code_digest,
    digest,
    file_digest,
    folder_digest,
    package_version,
)
from polyinfra.cache.store import (
    FORMAT_VERSION,
    Cache,
    cache_dir,
    default_cache,
)

__all__ = [
    "FORMAT_VERSION",
    "Cache",
    "TooLarge",
    "cache_dir",
    "code_digest",
    "default_cache",
    "digest",
    "file_digest",
    "folder_digest",
    "package_version",
]
