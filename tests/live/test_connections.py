"""The connection registry on its own: budgets, the in-flight cap, expiry, and the rule that a
record goes only when the connection does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask

from ecabinet.credentials import Credentials
from ecabinet.db import Database
from ecabinet.live import connections as conns
from ecabinet.live.connections import Budgets, Connections, Refused, TokenBucket
from tests.factories import MeetingFixture, make_token
from tests.live.test_namespace import sio

TABLET = Credentials("attendee", token="a" * 22)
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def registry(**overrides: Any) -> Connections:
    budgets = {"per_connection": "3 per second", "per_credential": "5 per second"}
    budgets.update(overrides)
    return Connections(Budgets(max_in_flight=2, **budgets))


def test_token_bucket_spends_and_refills() -> None:
    bucket = TokenBucket.from_rule("2 per second")
    t0 = bucket.stamp
    assert [bucket.take(t0), bucket.take(t0), bucket.take(t0)] == [True, True, False]
    assert bucket.take(t0 + 0.49) is False
    assert bucket.take(t0 + 0.5) is True  # one event's worth back after half a second
    assert bucket.take(t0 + 100) is True
    assert bucket.tokens == 1.0  # refilled to capacity, never above


def test_each_connection_has_its_own_budget_and_the_credential_a_shared_one() -> None:
    reg = registry()
    reg.add("first", TABLET, None)
    reg.add("second", TABLET, None)
    outcomes = []
    for sid in ["first"] * 4 + ["second"] * 4:
        try:
            reg.end_event(reg.begin_event(sid))
            outcomes.append("ok")
        except Refused as refused:
            outcomes.append(refused.reason)
    # 3 per connection, 5 per credential in all.
    assert outcomes == ["ok"] * 3 + ["rate_limited"] + ["ok"] * 2 + ["rate_limited"] * 2


def test_events_in_flight_are_capped_per_connection() -> None:
    reg = registry(per_connection="100 per second", per_credential="100 per second")
    reg.add("sid", TABLET, None)
    first, second = reg.begin_event("sid"), reg.begin_event("sid")
    with pytest.raises(Refused, match="busy"):
        reg.begin_event("sid")
    reg.end_event(first)
    reg.end_event(reg.begin_event("sid"))
    reg.end_event(second)


def test_unknown_connections_are_refused() -> None:
    with pytest.raises(Refused, match="unauthorized"):
        registry().begin_event("never-connected")


def test_connect_attempts_are_charged_to_the_credential() -> None:
    reg = registry(per_credential="2 per minute")
    reg.admit(TABLET)
    reg.admit(TABLET)
    with pytest.raises(Refused, match="rate_limited"):
        reg.admit(TABLET)
    reg.admit(Credentials("attendee", token="b" * 22))  # another credential is not affected


def test_expired_reports_each_connection_once_and_only_open_ones() -> None:
    reg = registry()
    reg.add("soon", TABLET, NOW + timedelta(seconds=1))
    reg.add("later", TABLET, NOW + timedelta(hours=1))
    reg.add("gone", TABLET, NOW)
    reg.add("staff", Credentials("staff", user_id=1, session_version=1), None)
    reg.remove("gone")
    assert reg.expired(NOW) == []
    assert reg.expired(NOW + timedelta(seconds=1)) == ["soon"]
    assert reg.expired(NOW + timedelta(seconds=2)) == []
    assert reg.expired(NOW + timedelta(days=9)) == ["later"]


def test_closed_connections_do_not_pile_up() -> None:
    reg = registry()
    for n in range(5000):
        reg.add(f"sid{n}", Credentials("attendee", token=f"t{n}"), NOW + timedelta(days=30))
        reg.remove(f"sid{n}")
    assert len(reg) == 0
    assert len(reg._expiries) <= 1001
    assert reg._open_per_credential == {}


def test_budgets_of_random_tokens_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conns, "PRUNE_AT", 50)
    reg = registry(per_credential="5 per second")
    reg.add("kept", TABLET, None)
    for n in range(200):
        bucket = reg._credential_bucket(f"attendee:{n}")
        bucket.stamp -= 5  # refilled long ago
    reg._credential_bucket("attendee:new")
    assert len(reg._credential_buckets) <= 51


def test_a_client_event_named_disconnect_never_reaches_the_handler(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    namespace = app.extensions["ecabinet.live"]
    assert len(namespace.connections) == 1
    for name in ("disconnect", "connect", "connect_error"):
        tablet.emit(name, {"meeting_id": meeting.id})
    assert len(namespace.connections) == 1
    assert tablet.emit("meeting:join", {"meeting_id": meeting.id}, callback=True)["ok"] is True
    tablet.disconnect()
    assert len(namespace.connections) == 0


def test_unknown_events_get_an_error_ack(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    ack = tablet.emit("meeting:delete_everything", {"meeting_id": meeting.id}, callback=True)
    assert ack["error"]["code"] == "unknown_event"


def test_socket_events_over_budget_get_rate_limited_acks(
    app: Flask, app_db: Database, meeting: MeetingFixture
) -> None:
    app.extensions["ecabinet.live"].connections.budgets = Budgets(
        per_connection="3 per minute", per_credential="100 per minute", max_in_flight=4
    )
    tablet = sio(app, auth={"token": make_token(app_db, meeting)})
    acks = [
        tablet.emit("meeting:sync", {"meeting_id": meeting.id}, callback=True) for _ in range(5)
    ]
    codes = [a["ok"] or a["error"]["code"] for a in acks]
    assert codes == [True, True, True, "rate_limited", "rate_limited"]
    assert "vui lòng thử lại" in acks[-1]["error"]["message"]
