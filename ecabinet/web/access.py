"""Who is asking and may they: credentials → actor, and the @requires gate on every route."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from flask import current_app, g, request, session
from sqlmodel import Session

from ecabinet.actor import Actor
from ecabinet.credentials import CredentialResolvers, Credentials, from_session
from ecabinet.db import Database
from ecabinet.errors import NotFound
from ecabinet.permissions import (
    PERM_ATTR,
    Perm,
    check_route,
    require_global,
    require_meeting,
)
from ecabinet.scopes import Scopes

P = ParamSpec("P")
R = TypeVar("R")


def database() -> Database:
    db: Database = current_app.extensions["ecabinet.db"]
    return db


def request_credentials() -> Credentials | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return Credentials("api", token=header.removeprefix("Bearer ").strip())
    return from_session(session)


def current_actor(db_session: Session | None = None) -> Actor | None:
    """The actor of this request, resolved once (in `db_session` when given) and re-checked
    against the database on every request."""
    if "actor" not in g:
        creds = request_credentials()
        actor = None
        if creds is not None:
            resolvers: CredentialResolvers = current_app.extensions["ecabinet.credentials"]
            if db_session is not None:
                actor = resolvers.resolve(db_session, creds)
            else:
                with database().unit_of_work(write=False) as own_session:
                    actor = resolvers.resolve(own_session, creds)
        g.actor = actor
    result: Actor | None = g.actor
    return result


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def requires(
    perm: Perm, *, shared_unit_of_work: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare and enforce who may reach a route; the security matrix test reads the mark.

    With `shared_unit_of_work`, the check and the view run in one unit of work (a write one
    for writing methods), which the view reaches with request_session(); it commits when the
    view returns, before the answer leaves. Only for views that open no unit of work of their
    own: a second writer would wait on the first."""

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            if shared_unit_of_work:
                write = request.method in WRITE_METHODS
                with database().unit_of_work(write=write) as db_session:
                    _gate(current_actor(db_session), perm, kwargs, db_session)
                    g.request_session = db_session
                    try:
                        return view(*args, **kwargs)
                    finally:
                        g.pop("request_session", None)
            # Who is asking and may they reach this object: one short read transaction.
            if "actor" in g or request_credentials() is None:
                _gate(current_actor(), perm, kwargs, None)
            else:
                with database().unit_of_work(write=False) as db_session:
                    _gate(current_actor(db_session), perm, kwargs, db_session)
            return view(*args, **kwargs)

        setattr(wrapper, PERM_ATTR, perm)
        return wrapper

    return decorate


GLOBAL = frozenset({Perm.CREATE_MEETING, Perm.MANAGE_USERS})  # by role, not by meeting


MEETING_SCOPED = frozenset(
    {
        Perm.VIEW_MEETING,
        Perm.VIEW_ROOM,
        Perm.EDIT_MEETING,
        Perm.EDIT_AGENDA,
        Perm.CONTROL_LIVE,
        Perm.VIEW_ATTENDEES,
    }
)


def _gate(
    actor: Actor | None, perm: Perm, kwargs: dict[str, Any], db_session: Session | None
) -> None:
    check_route(actor, perm)
    if actor is not None and perm in MEETING_SCOPED:
        _check_scope(actor, perm, kwargs, db_session)
    elif actor is not None and perm in GLOBAL:
        require_global(actor, perm)


def _check_scope(
    actor: Actor, perm: Perm, kwargs: dict[str, Any], db_session: Session | None
) -> None:
    """Outsiders get 404 before any body is parsed; services check again (defence in depth)."""
    scopes: Scopes = current_app.extensions["ecabinet.scopes"]
    for name, find_owner in scopes.owners.items():
        if name in kwargs:
            if db_session is None:
                with database().unit_of_work(write=False) as own_session:
                    meeting = find_owner(own_session, int(kwargs[name]))
            else:
                meeting = find_owner(db_session, int(kwargs[name]))
                # The identity map holds rows weakly: keep an ORM owner (item and document
                # routes), so the view's lookup of that meeting needs no second query. A
                # meeting_id route's owner is a plain row (meetings.service.meeting_row).
                db_session.info["ecabinet.scope_owner"] = meeting
            if meeting is None:
                raise NotFound()
            require_meeting(actor, meeting, perm)
            return


def request_session() -> Session:
    """The unit of work of a route marked `shared_unit_of_work`."""
    db_session: Session = g.request_session
    return db_session


def actor_or_401() -> Actor:
    actor = current_actor()
    assert actor is not None, "@requires must guard this route"
    return actor
