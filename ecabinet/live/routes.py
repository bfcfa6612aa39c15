"""The live pages: the chair's console, the delegate's tablet and the room screen."""

from __future__ import annotations

from flask import Blueprint, render_template, request, session
from werkzeug.wrappers import Response

from ecabinet import limits
from ecabinet.credentials import SCREEN_KEY, is_delegate_session
from ecabinet.live import screens
from ecabinet.live.state import MeetingState, state_for
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm, meeting_perms
from ecabinet.web import actor_or_401, current_actor, database, requires, to_json

bp = Blueprint("live", __name__)


def _page(template: str, meeting_id: int, perm: Perm) -> str:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting = load_meeting(db_session, actor=actor, meeting_id=meeting_id, perm=perm)
        state: MeetingState | None = state_for(db_session, meeting_id, actor)
        perms = meeting_perms(actor, meeting)
        public_code = meeting.public_code
    return render_template(
        template, state=state, actor=actor, perms=perms, Perm=Perm, public_code=public_code
    )


@bp.route("/meetings/<int:meeting_id>/chair")
@requires(Perm.CONTROL_LIVE)
def chair(meeting_id: int) -> str:
    return _page("live/chair.html", meeting_id, Perm.CONTROL_LIVE)


@bp.route("/meetings/<int:meeting_id>/screen")
@requires(Perm.STAFF)
def screen(meeting_id: int) -> str:
    return _page("live/screen.html", meeting_id, Perm.VIEW_MEETING)


@bp.route("/tablet")
@requires(Perm.ATTENDEE)
def tablet() -> str:
    actor = actor_or_401()
    assert actor.meeting_id is not None
    return _page("live/tablet.html", actor.meeting_id, Perm.VIEW_MEETING)


@bp.route("/screen", methods=["GET", "POST"])
@requires(Perm.PUBLIC)
def paired_screen() -> str:
    """A room screen: its meeting's room once paired; until then, a code to type on the
    chair's console (the screen needs no login, and holds no staff or delegate credential).
    A browser signed in as staff or holding a delegate's tablet session is asked first
    (a POST, with its CSRF token): opening /screen must not sign anyone out by surprise."""
    secret = session.get(SCREEN_KEY)
    actor = current_actor()
    if isinstance(secret, str) and actor is not None and actor.is_screen:
        assert actor.meeting_id is not None
        return _page("live/screen.html", actor.meeting_id, Perm.VIEW_ROOM)
    signed_in = actor is not None or is_delegate_session(session)
    if request.method == "GET" and signed_in and not isinstance(secret, str):
        return render_template("live/screen_pair.html", code=None, confirm=True)
    status = None
    if isinstance(secret, str):
        with database().unit_of_work(write=False) as db_session:
            status = screens.screen_status(db_session, secret)
    if status is None or status.code is None:
        # Every new code is a row: an address may start only a few (a kiosk reloads rarely),
        # and everyone together a few hundred a minute (a proxy may hide the addresses).
        limits.hit("SCREEN_PAIR_LIMIT", request.remote_addr or "?")
        limits.hit("SCREEN_PAIR_GLOBAL_LIMIT", "everyone")
        with database().unit_of_work() as db_session:
            pending = screens.start_pairing(db_session)
        session.clear()
        session.permanent = True
        session[SCREEN_KEY] = pending.secret
        code = pending.code
    else:
        code = status.code
    return render_template("live/screen_pair.html", code=f"{code[:3]} {code[3:]}", confirm=False)


@bp.route("/screen/status")
@requires(Perm.PUBLIC)
def paired_screen_status() -> Response:
    """Polled by a screen showing its code: whether it has been paired (then it reloads)."""
    secret = session.get(SCREEN_KEY)
    if not isinstance(secret, str):
        return to_json({"paired": False, "expired": True})
    with database().unit_of_work(write=False) as db_session:
        status = screens.screen_status(db_session, secret)
    return to_json({"paired": status.paired, "expired": status.expired})
