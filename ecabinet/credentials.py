"""What a request or socket presented (session, API token, attendee token) → an Actor.

The features that own each kind of credential register how to check it (auth: staff
sessions and API tokens; pickup: attendee links), so this module and the HTTP and socket
layers that use it import no feature.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlmodel import Session

from ecabinet.actor import Actor

Kind = Literal["staff", "api", "attendee", "device", "screen"]

# Where a browser's session keeps its credentials (Flask's signed, HttpOnly cookie).
DEVICE_KEY = "device"  # a tablet's device session: its own random secret (pickup.devices)
SCREEN_KEY = "screen"  # a room screen's random secret (live.screens), pending or paired
# Sessions opened before device sessions kept the card's raw token here.
LEGACY_TOKEN_KEY = "attendee_token"  # noqa: S105  (a session key, not a secret)


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


def from_session(data: Mapping[str, Any]) -> Credentials | None:
    """The credentials a browser session carries: a staff login, or a tablet's device."""
    if "uid" in data and "sv" in data:
        return Credentials("staff", user_id=int(data["uid"]), session_version=int(data["sv"]))
    if DEVICE_KEY in data:
        return Credentials("device", token=str(data[DEVICE_KEY]))
    if SCREEN_KEY in data:
        return Credentials("screen", token=str(data[SCREEN_KEY]))
    if LEGACY_TOKEN_KEY in data:
        return Credentials("attendee", token=str(data[LEGACY_TOKEN_KEY]))
    return None


def is_delegate_session(data: Mapping[str, Any]) -> bool:
    """A session holding a tablet's or a room screen's credential (not a staff login)."""
    return DEVICE_KEY in data or LEGACY_TOKEN_KEY in data or SCREEN_KEY in data
