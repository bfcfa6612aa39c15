"""Building attendee links: the configured public URL, or the address the request came to."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, request, url_for

from ecabinet.actor import Actor
from ecabinet.pickup import service
from ecabinet.web import database


def public_url(path: str) -> str:
    base = str(current_app.config["PUBLIC_URL"]).rstrip("/") or request.host_url.rstrip("/")
    return base + path


def issue_link(actor: Actor, attendee_id: int) -> tuple[service.IssuedToken, str, str]:
    """Issue a token and return it with the tablet link and the QR image URL."""
    ttl = timedelta(days=int(current_app.config["ATTENDEE_TOKEN_DAYS"]))
    with database().unit_of_work() as db_session:
        issued = service.issue_token(db_session, actor=actor, attendee_id=attendee_id, ttl=ttl)
    link = public_url(url_for("pickup.enter", token=issued.raw))
    qr_url = url_for("pickup.qr", token=issued.raw)
    return issued, link, qr_url
