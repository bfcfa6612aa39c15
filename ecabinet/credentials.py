"""What a request or socket presented (session, API token, attendee token) → an Actor.

The features that own each kind of credential register how to check it (auth: staff
sessions and API tokens; pickup: attendee links), so this module and the HTTP and socket
layers that use it import no feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlmodel import Session

from ecabinet.actor import Actor

Kind = Literal["staff", "api", "attendee"]


@dataclass(frozen=True, slots=True)
class Credentials:
    kind: Kind
    user_id: int | None = None
    session_version: int | None = None
    token: str | None = None


# Checks many credentials of one kind at once (one query, however many), None for those
# that no longer hold.
Resolver = Callable[[Session, list[Credentials], datetime | None], dict[Credentials, Actor | None]]


class CredentialResolvers:
    """One per app: which feature checks which kind of credential."""

    def __init__(self) -> None:
        self._by_kind: dict[str, Resolver] = {}

    def register(self, kind: Kind, resolver: Resolver) -> None:
        if kind in self._by_kind:
            raise ValueError(f"credential kind {kind!r} registered twice")
        self._by_kind[kind] = resolver

    def resolve(
        self, session: Session, creds: Credentials, *, now: datetime | None = None
    ) -> Actor | None:
        """Re-checked on every request and socket event, so revocation takes effect at once."""
        return self.resolve_many(session, [creds], now=now).get(creds)

    def resolve_many(
        self, session: Session, many: Iterable[Credentials], *, now: datetime | None = None
    ) -> dict[Credentials, Actor | None]:
        """Many credentials with one query per kind present, however many there are."""
        unique = list(dict.fromkeys(many))
        result: dict[Credentials, Actor | None] = dict.fromkeys(unique)
        by_kind: dict[str, list[Credentials]] = {}
        for creds in unique:
            by_kind.setdefault(creds.kind, []).append(creds)
        for kind, group in by_kind.items():
            resolver = self._by_kind.get(kind)
            if resolver is not None:
                result.update(resolver(session, group, now))
        return result
