"""Socket.IO handlers (namespace "/"): thin wrappers that authenticate, check and delegate.

Every handler re-resolves the connection's credentials, so a revoked token or a logged-out
user loses access at the next event. Events and payloads are documented in docs/realtime.md.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from datetime import timedelta
from typing import Any

from flask import request, session

# socketio's ConnectionRefusedError, not the builtin: only it carries the reason to the client.
from flask_socketio import ConnectionRefusedError, Namespace, join_room, leave_room
from sqlmodel import Session, col, select

from ecabinet.actor import Actor
from ecabinet.credentials import CredentialResolvers, Credentials, from_session
from ecabinet.db import Database
from ecabinet.documents.access import record_opened
from ecabinet.documents.service import get_document
from ecabinet.errors import AppError, NotFound
from ecabinet.events import AccessRevoked
from ecabinet.live.connections import Budgets, Connection, Connections, Refused
from ecabinet.live.control import Action, control_limit, run_control
from ecabinet.live.guard import REFUSALS, Ack, error_ack, parse, socket_event
from ecabinet.live.publish import room_for
from ecabinet.live.schemas import (
    ControlArgs,
    DocumentRef,
    MeetingRef,
    SocketAnnounce,
    SocketJump,
    SocketPresent,
)
from ecabinet.live.state import Snapshot, SnapshotCache, state_for
from ecabinet.meetings.models import Meeting
from ecabinet.meetings.service import require_viewer
from ecabinet.permissions import PERM_ATTR, Perm, meeting_perms
from ecabinet.timeutil import utcnow

log = logging.getLogger(__name__)

EXPIRY_TICK = 1.0  # seconds between checks for credentials that ran out
# Joins and leaves within this window make one presence push to the room's staff: a room of
# 1,000 tablets joining at once must not cost the chair 1,000 pushes.
PRESENCE_DELAY = 0.3


def _control_event(action: Action, doc: str) -> Callable[..., Ack]:
    """The socket handler of one live control: gated like every event, then run_control."""

    def handler(self: LiveNamespace, actor: Actor, data: Any, db_session: Session) -> Ack:
        return self._control(actor, data, action, db_session)

    handler.__name__ = f"on_live_{action}"
    handler.__doc__ = doc
    return socket_event(Perm.CONTROL_LIVE, write=True)(handler)


def _by_name(entry: tuple[int, str]) -> tuple[str, int]:
    return (entry[1].casefold(), entry[0])


def _alive(task: Any) -> bool:
    is_alive = getattr(task, "is_alive", None)  # threading.Thread
    return bool(is_alive()) if callable(is_alive) else not getattr(task, "dead", True)


class LiveNamespace(Namespace):  # type: ignore[misc]  # flask_socketio ships no type hints
    """One namespace; rooms are "meeting:<id>"."""

    def __init__(
        self,
        namespace: str,
        database: Database,
        *,
        budgets: Budgets,
        session_lifetime: timedelta,
        credentials: CredentialResolvers,
    ) -> None:
        super().__init__(namespace)
        self.database = database
        self.credentials = credentials
        self.connections = Connections(budgets)
        self.snapshots = SnapshotCache()
        self.session_lifetime = session_lifetime
        self.sweeps: list[Any] = []  # background sweeps started and not yet waited for
        self._events = {
            name[3:].replace("_", ":", 1): name
            for name in dir(type(self))
            if name.startswith("on_") and hasattr(getattr(type(self), name), PERM_ATTR)
        }
        self._watcher: Any = None
        self._closing = False
        self._outbox: deque[Snapshot] = deque()  # committed states not pushed yet, in order
        self._draining = False
        self._presence_due: set[int] = set()  # meetings with a presence push scheduled

    def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            # Only the server's own calls: client events with these names never get this far
            # (refuse_reserved_events).
            return super().trigger_event(event, *args)
        sid = args[0] if args else None
        try:
            connection = self.connections.begin_event(str(sid))
        except Refused as refused:
            if refused.reason == "unauthorized":
                return error_ack(AppError("Vui lòng đăng nhập.", code="unauthorized"))
            return error_ack(REFUSALS[refused.reason])
        try:
            handler = self._events.get(event)
            if handler is None:
                return error_ack(REFUSALS["unknown_event"])
            return super().trigger_event(handler[3:], *args)
        finally:
            self.connections.end_event(connection)

    def actor(self, db_session: Session) -> Actor | None:
        connection = self.connections.get(request.sid)  # type: ignore[attr-defined]
        if connection is None:
            return None
        return self.credentials.resolve(db_session, connection.creds)

    def sweep(self, revoked: Sequence[AccessRevoked]) -> int:
        """Re-check the connections of the people named in `revoked` (or, for a meeting named
        alone, everyone in its room), with a few queries however many are open: disconnect
        those whose credential no longer holds, take the others out of meeting rooms they may
        no longer see. Returns how many were cut."""
        targets: dict[str, Connection] = {}
        for event in revoked:
            named = self.connections.of_people(
                attendee_ids=event.attendee_ids, user_ids=event.user_ids
            )
            if not (event.attendee_ids or event.user_ids) and event.meeting_id is not None:
                members = self.socketio.server.manager.get_participants(
                    self.namespace, room_for(event.meeting_id)
                )
                named = [c for sid, _eio in members if (c := self.connections.get(sid))]
            targets.update((c.sid, c) for c in named)
        if not targets:
            return 0
        server = self.socketio.server
        rooms = {
            sid: [
                r for r in server.rooms(sid, namespace=self.namespace) if r.startswith("meeting:")
            ]
            for sid in targets
        }
        with self.database.unit_of_work(write=False) as db_session:
            actors = self.credentials.resolve_many(db_session, [c.creds for c in targets.values()])
            # An attendee's token already says which meeting (and that it exists); only staff
            # still connected need their meetings read to know which rooms they may stay in.
            staff_rooms = {
                int(room.split(":", 1)[1])
                for sid, connection in targets.items()
                if (actor := actors.get(connection.creds)) is not None and actor.is_staff
                for room in rooms[sid]
            }
            meetings = (
                {
                    m.id: m
                    for m in db_session.exec(
                        select(Meeting).where(col(Meeting.id).in_(staff_rooms))
                    )
                }
                if staff_rooms
                else {}
            )
        cut = 0
        for sid, connection in targets.items():
            actor = actors.get(connection.creds)
            if actor is None:
                server.disconnect(sid, namespace=self.namespace)
                cut += 1
                continue
            for room in rooms[sid]:
                meeting_id = int(room.split(":", 1)[1])
                if actor.is_attendee or actor.is_screen:
                    allowed = actor.meeting_id == meeting_id
                else:
                    meeting = meetings.get(meeting_id)
                    allowed = meeting is not None and Perm.VIEW_MEETING in meeting_perms(
                        actor, meeting
                    )
                if not allowed:
                    server.leave_room(sid, room, namespace=self.namespace)
                    self.presence_changed(meeting_id)
                    cut += 1
        return cut

    def track_sweep(self, task: Any) -> None:
        """Remember a running sweep, forgetting the finished ones (threads or green threads)."""
        self.sweeps = [t for t in self.sweeps if _alive(t)]
        self.sweeps.append(task)

    def wait_for_sweeps(self) -> None:
        """Block until every started sweep has finished (shutdown, tests)."""
        while self.sweeps:
            task = self.sweeps.pop()
            if hasattr(task, "join"):
                task.join()
            else:
                task.wait()

    def close(self) -> None:
        """Stop the expiry watcher, send pushes not sent yet, wait for running sweeps
        (shutdown, tests)."""
        self._closing = True
        while self._outbox:
            self.push(self._outbox.popleft())
        self.wait_for_sweeps()

    def _watch_expiries(self) -> None:
        """Cut connections at the moment their credential expires, idle ones included."""
        while not self._closing:
            self.socketio.sleep(EXPIRY_TICK)
            for sid in self.connections.expired(utcnow()):
                log.info("credential of %s expired: disconnecting", sid)
                self.socketio.server.disconnect(sid, namespace=self.namespace)

    def on_connect(self, auth: Any = None) -> None:
        """Client → server on connect. `auth` may carry {"token": attendee or API token}."""
        creds = self._credentials_from(auth)
        if creds is None:
            raise ConnectionRefusedError("unauthorized")
        try:
            self.connections.admit(creds)  # a reconnect loop is budgeted like any event
        except Refused:
            raise ConnectionRefusedError("rate_limited") from None
        with self.database.unit_of_work(write=False) as db_session:
            actor = self.credentials.resolve(db_session, creds)
        if actor is None:
            raise ConnectionRefusedError("unauthorized")
        # A browser session has no fixed end; its socket lives at most one session lifetime.
        valid_until = actor.valid_until or utcnow() + self.session_lifetime
        self.connections.add(
            request.sid,  # type: ignore[attr-defined]
            creds,
            valid_until,
            user_id=actor.user_id,
            attendee_id=actor.attendee_id,
            name=actor.name,
            screen=actor.is_screen,
        )
        if self._watcher is None:
            self._watcher = self.socketio.start_background_task(self._watch_expiries)

    def on_disconnect(self, reason: Any = None) -> None:
        sid = request.sid  # type: ignore[attr-defined]
        if self.socketio.server.manager.is_connected(sid, self.namespace):
            # Defence in depth: a socket still open keeps its record, whatever called this.
            log.warning("ignored a disconnect call for %s, which is still connected", sid)
            return
        for room in self.socketio.server.rooms(sid, namespace=self.namespace):
            if room.startswith("meeting:"):
                self.presence_changed(int(room.split(":", 1)[1]))
        self.connections.remove(sid)

    def presence_changed(self, meeting_id: int) -> None:
        """Schedule one presence push to the meeting's staff (coalesced, PRESENCE_DELAY)."""
        if meeting_id in self._presence_due or self._closing:
            return
        self._presence_due.add(meeting_id)
        self.socketio.start_background_task(self._push_presence, meeting_id)

    def presence(self, meeting_id: int) -> tuple[dict[str, Any], list[str]]:
        """Who is in the meeting's room now (delegates by name, how many staff), and the sids
        of the staff to tell. Read from this process's connections only."""
        delegates: dict[int, str] = {}
        staff: list[str] = []
        screens = 0
        members = self.socketio.server.manager.get_participants(
            self.namespace, room_for(meeting_id)
        )
        for sid, _eio in members:
            connection = self.connections.get(sid)
            if connection is None:
                continue
            if connection.attendee_id is not None:
                delegates[connection.attendee_id] = connection.name
            elif connection.screen:
                screens += 1
            elif connection.user_id is not None:
                staff.append(sid)
        payload = {
            "meeting_id": meeting_id,
            "tablets": len(delegates),
            "staff": len(staff),
            "screens": screens,
            "delegates": [
                {"attendee_id": a, "name": n} for a, n in sorted(delegates.items(), key=_by_name)
            ],
        }
        return payload, staff

    def _push_presence(self, meeting_id: int) -> None:
        self.socketio.sleep(PRESENCE_DELAY)
        self._presence_due.discard(meeting_id)
        try:
            payload, staff = self.presence(meeting_id)
            if staff:
                self.socketio.emit("meeting:presence", payload, to=staff, namespace=self.namespace)
        except Exception:  # a presence push is a courtesy; it must never take the hub down
            log.exception("presence push of meeting %s failed", meeting_id)

    @staticmethod
    def _credentials_from(auth: Any) -> Credentials | None:
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            token = auth["token"]
            return Credentials("api" if token.startswith("ecb_") else "attendee", token=token)
        return from_session(session)

    def push_after_answer(self, current: Snapshot) -> None:
        """Push a committed state. Under eventlet or gevent the fan-out runs on its own green
        thread, which the hub runs once the committing request has written its answer: the
        chair's answer does not wait for N sockets, and tablets get the push no later (frames
        leave only when the request's green thread yields anyway). One queue and one drainer
        keep pushes in commit order. Under threading (tests, development) it pushes at once."""
        if self.socketio.async_mode not in ("eventlet", "gevent"):
            self.push(current)
            return
        self._outbox.append(current)
        if not self._draining:  # no yield between the test and the set: green threads
            self._draining = True
            self.socketio.start_background_task(self._drain_outbox)

    def _drain_outbox(self) -> None:
        try:
            while self._outbox:
                current = self._outbox.popleft()
                try:
                    self.push(current)
                except Exception:  # one failed push must not stop the next meeting's
                    log.exception("push of meeting %s failed", current.meeting_id)
        finally:
            self._draining = False

    def push(self, current: Snapshot) -> None:
        """Send a meeting's new state to its room, encoded once per group of viewers who see
        the same thing (staff; attendees by the chosen documents they get), not per socket.
        With several processes each pushes to its own connections."""
        groups: dict[Hashable, list[str]] = {}
        room = room_for(current.meeting_id)
        for sid, _eio in self.socketio.server.manager.get_participants(self.namespace, room):
            connection = self.connections.get(sid)
            if connection is not None:
                view = current.view_of(connection.attendee_id, screen=connection.screen)
                groups.setdefault(view, []).append(sid)
        for view, sids in groups.items():
            self.socketio.emit(
                "meeting:state", current.for_view(view), to=sids, namespace=self.namespace
            )

    def _state_ack(self, db_session: Session, actor: Actor, meeting_id: int) -> Ack:
        state = state_for(db_session, meeting_id, actor, self.snapshots)
        if state is None:
            raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
        return {"ok": True, "state": state}

    @socket_event(Perm.VIEW_ROOM)
    def on_meeting_join(self, actor: Actor, data: Any, db_session: Session) -> Ack:
        """Sent by every client after connecting. Joins room meeting:<id>; acks the full state."""
        ref = parse(MeetingRef, data)
        require_viewer(db_session, actor=actor, meeting_id=ref.meeting_id)
        # Join before reading the state, in a fresh transaction: a change committed in between
        # arrives as a push, and SQLite's read snapshot would otherwise predate the join.
        db_session.commit()
        db_session.expire_all()  # read the meeting again, in the new transaction
        join_room(room_for(ref.meeting_id))
        self.presence_changed(ref.meeting_id)
        return self._state_ack(db_session, actor, ref.meeting_id)

    @socket_event(Perm.VIEW_ROOM)
    def on_meeting_sync(self, actor: Actor, data: Any, db_session: Session) -> Ack:
        """Sent by a client that saw a version gap or reconnected. Acks the full state."""
        meeting_id = parse(MeetingRef, data).meeting_id
        require_viewer(db_session, actor=actor, meeting_id=meeting_id)
        return self._state_ack(db_session, actor, meeting_id)

    @socket_event(Perm.VIEW_ROOM)
    def on_meeting_leave(self, actor: Actor, data: Any, db_session: Session) -> Ack:
        """Sent by a client leaving a meeting's page without disconnecting."""
        meeting_id = parse(MeetingRef, data).meeting_id
        leave_room(room_for(meeting_id))
        self.presence_changed(meeting_id)
        return {"ok": True}

    @socket_event(Perm.VIEW_MEETING, write=True)
    def on_document_opened(self, actor: Actor, data: Any, db_session: Session) -> Ack:
        """Tablet → server, with document_id: the delegate opened a document read ahead
        (from the tablet's cache, so no request of the file tells the server). Recorded for
        the secretary's pickup status, once per document and delegate."""
        ref = parse(DocumentRef, data)
        document = get_document(
            db_session, actor=actor, document_id=ref.document_id, perm=Perm.VIEW_MEETING
        )
        if actor.attendee_id is not None:
            assert document.id is not None
            record_opened(db_session, document_id=document.id, attendee_id=actor.attendee_id)
        return {"ok": True}

    def _control(self, actor: Actor, data: Any, action: Action, db_session: Session) -> Ack:
        args: ControlArgs | None = None
        if action == "jump":
            jump = parse(SocketJump, data)
            meeting_id, args = jump.meeting_id, ControlArgs(item_id=jump.item_id)
        elif action == "announce":
            banner = parse(SocketAnnounce, data)
            meeting_id, args = banner.meeting_id, ControlArgs(text=banner.text)
        elif action == "present":
            shown = parse(SocketPresent, data)
            meeting_id = shown.meeting_id
            args = ControlArgs(document_id=shown.document_id, page=shown.page)
        else:
            meeting_id = parse(MeetingRef, data).meeting_id
        control_limit(actor, meeting_id)
        result = run_control(
            db_session, actor=actor, meeting_id=meeting_id, action=action, args=args
        )
        return {"ok": True, "result": result.model_dump()}

    # Chair/secretary → server, one event per control (payloads in docs/realtime.md); each
    # broadcasts meeting:state to the room after its commit.
    on_live_start = _control_event("start", "Open the meeting on its first item.")
    on_live_next = _control_event("next", "Move to the next item.")
    on_live_previous = _control_event("previous", "Move to the previous item.")
    on_live_jump = _control_event("jump", "Move to `item_id`.")
    on_live_pause = _control_event("pause", "Stop the clock (a break).")
    on_live_resume = _control_event("resume", "Start the clock again.")
    on_live_announce = _control_event("announce", 'Show `text` as a banner ("" takes it down).')
    on_live_present = _control_event("present", "Show `document_id` at `page` (null: stop).")
    on_live_end = _control_event("end", "End the meeting.")
