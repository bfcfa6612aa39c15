"""Socket.IO handlers (namespace "/"): thin wrappers that authenticate, check and delegate.

Every handler re-resolves the connection's credentials, so a revoked token or a logged-out
user loses access at the next event. Events and payloads are documented in docs/realtime.md.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request, session

# socketio's ConnectionRefusedError, not the builtin: only it carries the reason to the client.
from flask_socketio import ConnectionRefusedError, Namespace, disconnect, join_room, leave_room
from pydantic import BaseModel, ValidationError

from ecabinet.actor import Actor
from ecabinet.auth.permissions import PERM_ATTR, Perm, check_route
from ecabinet.credentials import Credentials, resolve
from ecabinet.db import Database
from ecabinet.errors import AppError, Invalid, NotFound
from ecabinet.live.control import Action, control_limit, run_control
from ecabinet.live.publish import room_for
from ecabinet.live.schemas import MeetingRef, SocketJump
from ecabinet.live.state import snapshot
from ecabinet.meetings.service import load_meeting

log = logging.getLogger(__name__)
Ack = dict[str, Any]
M = TypeVar("M", bound=BaseModel)


def error_ack(exc: AppError) -> Ack:
    return {"ok": False, "error": exc.to_dict()}


def socket_event(perm: Perm) -> Callable[[Callable[..., Ack]], Callable[..., Ack]]:
    """Gate an event by `perm` and turn every failure into an error ack, never a traceback."""

    def decorate(handler: Callable[..., Ack]) -> Callable[..., Ack]:
        @functools.wraps(handler)
        def wrapper(self: LiveNamespace, data: Any = None) -> Ack:
            try:
                actor = self.actor()
                check_route(actor, perm)
                assert actor is not None
                return handler(self, actor, data)
            except AppError as exc:
                if exc.status == 401:
                    disconnect()
                return error_ack(exc)
            except Exception:
                log.exception("socket event %s failed", handler.__name__)
                return error_ack(AppError("Lỗi hệ thống.", code="internal_error"))

        setattr(wrapper, PERM_ATTR, perm)
        return wrapper

    return decorate


def _alive(task: Any) -> bool:
    is_alive = getattr(task, "is_alive", None)  # threading.Thread
    return bool(is_alive()) if callable(is_alive) else not getattr(task, "dead", True)


def parse(schema: type[M], data: Any) -> M:
    try:
        return schema.model_validate(data if isinstance(data, dict) else {})
    except ValidationError as exc:
        field = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise Invalid(f"Trường '{field}' không hợp lệ.", field=field) from None


class LiveNamespace(Namespace):  # type: ignore[misc]  # flask_socketio ships no type hints
    """One namespace; rooms are "meeting:<id>"."""

    def __init__(self, namespace: str, database: Database) -> None:
        super().__init__(namespace)
        self.database = database
        self._credentials: dict[str, Credentials] = {}  # sid -> what the client presented
        self.sweeps: list[Any] = []  # background sweeps started and not yet waited for

    def trigger_event(self, event: str, *args: Any) -> Any:
        # "meeting:join" → on_meeting_join
        return super().trigger_event(event.replace(":", "_"), *args)

    def actor(self) -> Actor | None:
        creds = self._credentials.get(request.sid)  # type: ignore[attr-defined]
        if creds is None:
            return None
        with self.database.unit_of_work(write=False) as db_session:
            return resolve(db_session, creds)

    def sweep(self) -> int:
        """Disconnect every connection whose credential no longer holds, and take connections
        out of meeting rooms they may no longer see. Returns how many were cut."""
        cut = 0
        for sid, creds in list(self._credentials.items()):
            with self.database.unit_of_work(write=False) as db_session:
                actor = resolve(db_session, creds)
                rooms = list(self.socketio.server.rooms(sid, namespace=self.namespace))
                lost = [
                    room
                    for room in rooms
                    if room.startswith("meeting:")
                    and (actor is None or not self._may_view(db_session, actor, room))
                ]
            if actor is None:
                self._credentials.pop(sid, None)
                self.socketio.server.disconnect(sid, namespace=self.namespace)
                cut += 1
            for room in lost if actor is not None else []:
                self.socketio.server.leave_room(sid, room, namespace=self.namespace)
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

    @staticmethod
    def _may_view(db_session: Any, actor: Actor, room: str) -> bool:
        try:
            load_meeting(
                db_session,
                actor=actor,
                meeting_id=int(room.split(":", 1)[1]),
                perm=Perm.VIEW_MEETING,
            )
        except AppError:
            return False
        return True

    def on_connect(self, auth: Any = None) -> None:
        """Client → server on connect. `auth` may carry {"token": attendee or API token}."""
        creds = self._credentials_from(auth)
        with self.database.unit_of_work(write=False) as db_session:
            actor = resolve(db_session, creds) if creds else None
        if actor is None or creds is None:
            raise ConnectionRefusedError("unauthorized")
        self._credentials[request.sid] = creds  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        self._credentials.pop(request.sid, None)  # type: ignore[attr-defined]

    @staticmethod
    def _credentials_from(auth: Any) -> Credentials | None:
        if isinstance(auth, dict) and isinstance(auth.get("token"), str):
            token = auth["token"]
            return Credentials("api" if token.startswith("ecb_") else "attendee", token=token)
        if "uid" in session and "sv" in session:
            return Credentials(
                "staff", user_id=int(session["uid"]), session_version=int(session["sv"])
            )
        if "attendee_token" in session:
            return Credentials("attendee", token=str(session["attendee_token"]))
        return None

    def _state_ack(self, actor: Actor, meeting_id: int) -> Ack:
        with self.database.unit_of_work(write=False) as db_session:
            load_meeting(db_session, actor=actor, meeting_id=meeting_id, perm=Perm.VIEW_MEETING)
            state = snapshot(db_session, meeting_id)
        if state is None:
            raise NotFound("Không tìm thấy cuộc họp.", code="meeting_not_found")
        return {"ok": True, "state": state}

    @socket_event(Perm.VIEW_MEETING)
    def on_meeting_join(self, actor: Actor, data: Any) -> Ack:
        """Sent by every client after connecting. Joins room meeting:<id>; acks the full state."""
        ref = parse(MeetingRef, data)
        with self.database.unit_of_work(write=False) as db_session:
            load_meeting(db_session, actor=actor, meeting_id=ref.meeting_id, perm=Perm.VIEW_MEETING)
        # Join before reading the state: a change committed in between arrives as a push.
        join_room(room_for(ref.meeting_id))
        return self._state_ack(actor, ref.meeting_id)

    @socket_event(Perm.VIEW_MEETING)
    def on_meeting_sync(self, actor: Actor, data: Any) -> Ack:
        """Sent by a client that saw a version gap or reconnected. Acks the full state."""
        return self._state_ack(actor, parse(MeetingRef, data).meeting_id)

    @socket_event(Perm.VIEW_MEETING)
    def on_meeting_leave(self, actor: Actor, data: Any) -> Ack:
        """Sent by a client leaving a meeting's page without disconnecting."""
        leave_room(room_for(parse(MeetingRef, data).meeting_id))
        return {"ok": True}

    def _control(self, actor: Actor, data: Any, action: Action) -> Ack:
        if action == "jump":
            jump = parse(SocketJump, data)
            meeting_id, item_id = jump.meeting_id, jump.item_id
        else:
            meeting_id, item_id = parse(MeetingRef, data).meeting_id, None
        control_limit(actor, meeting_id)
        result = run_control(
            self.database, actor=actor, meeting_id=meeting_id, action=action, item_id=item_id
        )
        return {"ok": True, "result": result.model_dump()}

    @socket_event(Perm.CONTROL_LIVE)
    def on_live_start(self, actor: Actor, data: Any) -> Ack:
        """Chair/secretary → server. Broadcasts meeting:state to the room."""
        return self._control(actor, data, "start")

    @socket_event(Perm.CONTROL_LIVE)
    def on_live_next(self, actor: Actor, data: Any) -> Ack:
        """Chair/secretary → server. Broadcasts meeting:state to the room."""
        return self._control(actor, data, "next")

    @socket_event(Perm.CONTROL_LIVE)
    def on_live_previous(self, actor: Actor, data: Any) -> Ack:
        """Chair/secretary → server. Broadcasts meeting:state to the room."""
        return self._control(actor, data, "previous")

    @socket_event(Perm.CONTROL_LIVE)
    def on_live_jump(self, actor: Actor, data: Any) -> Ack:
        """Chair/secretary → server, with item_id. Broadcasts meeting:state to the room."""
        return self._control(actor, data, "jump")

    @socket_event(Perm.CONTROL_LIVE)
    def on_live_end(self, actor: Actor, data: Any) -> Ack:
        """Chair/secretary → server. Broadcasts meeting:state to the room."""
        return self._control(actor, data, "end")
