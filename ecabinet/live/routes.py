"""The live pages: the chair's console, the delegate's tablet and the room screen."""

from __future__ import annotations

from flask import Blueprint, render_template

from ecabinet.live.state import MeetingState, state_for
from ecabinet.meetings.service import load_meeting
from ecabinet.permissions import Perm, meeting_perms
from ecabinet.web import actor_or_401, database, requires

bp = Blueprint("live", __name__)


def _page(template: str, meeting_id: int, perm: Perm) -> str:
    actor = actor_or_401()
    with database().unit_of_work(write=False) as db_session:
        meeting = load_meeting(db_session, actor=actor, meeting_id=meeting_id, perm=perm)
        state: MeetingState | None = state_for(db_session, meeting_id, actor)
        perms = meeting_perms(actor, meeting)
    return render_template(template, state=state, actor=actor, perms=perms, Perm=Perm)


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
