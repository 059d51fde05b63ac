"""The image set when a command renders without deploying and no registry is known.

``lint`` and ``check`` render every overlay, but the image is only chosen at deploy time. When
the environment's stack names no Artifact Registry repository for an app's project they set
this stand-in, on a reserved host that can never resolve, so the manifest rules see a complete
manifest and only the rule about the missing registry reports the gap.
"""

from __future__ import annotations

#: A reserved top-level domain (RFC 2606): the stand-in can never be pulled.
STAND_IN_HOST = "image-chosen-at-deploy.invalid"


def stand_in_image(app: str, version: str) -> str:
    """The stand-in image of ``app``.

    >>> stand_in_image("api", "0.0.0-check")
    'image-chosen-at-deploy.invalid/api:0.0.0-check'
    """
    return f"{STAND_IN_HOST}/{app}:{version}"


def is_stand_in(image: str) -> bool:
    """Whether ``image`` is a stand-in set by :func:`stand_in_image`.

    >>> is_stand_in(stand_in_image("api", "1")), is_stand_in("gcr.io/p/api:1")
    (True, False)
    """
    return image.startswith(f"{STAND_IN_HOST}/")
