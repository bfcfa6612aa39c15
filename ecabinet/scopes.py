"""Which meeting a route's object id belongs to, so access is checked before the body is read.

Each feature registers a finder for the URL parameter of the objects it owns ("item_id":
agenda); the HTTP layer asks the registry and imports no feature.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from ecabinet.permissions import MeetingLike

OwnerFinder = Callable[[Session, int], MeetingLike | None]


class Scopes:
    """One per app: URL parameter name → finder of the meeting that owns the object."""

    def __init__(self) -> None:
        self.owners: dict[str, OwnerFinder] = {}

    def register(self, parameter: str, finder: OwnerFinder) -> None:
        if parameter in self.owners:
            raise ValueError(f"URL parameter {parameter!r} registered twice")
        self.owners[parameter] = finder
