"""Revocation benchmark: with N tablets connected, how fast is a revoked one cut, and what does
the sweep cost?

Two parts, one run:
1. Real server (`python -m ecabinet serve`, eventlet, fresh SQLite): N raw WebSocket tablets
   (bench/fanout.py's client) join one meeting; the secretary re-issues one delegate's link
   over HTTP (which revokes the old one), R times, a different delegate each time. Measured:
   from sending that request to the moment the revoked tablet receives the server's
   disconnect packet (`41`); the re-issue's own HTTP time; and that no other tablet was cut.
2. In process (the app in threading mode, Flask-SocketIO's test clients, no network): N
   connections, one attendee revoked, the sweep run and timed alone, with the SQL statements
   it issues counted (the claim: one query per kind of credential among the people named,
   however many connections are open).

Run: .venv/bin/python bench/revocation.py [--clients 1000] [--rounds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from fanout import (  # bench/ is sys.path[0] when run as a script
    PASSWORD,
    Arrivals,
    RawClient,
    Server,
    machine_info,
    raise_fd_limit,
    seed_database,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"


class WatchedClient(RawClient):
    """A raw tablet that notes when the server disconnects it."""

    def __init__(self, http: aiohttp.ClientSession, arrivals: Arrivals) -> None:
        super().__init__(http, arrivals)
        self.cut_at: float | None = None
        self.token = ""

    async def connect(self, url: str, token: str, meeting_id: int, timeout: float) -> int:
        self.token = token
        return await super().connect(url, token, meeting_id, timeout)

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = message.data
            if data.startswith("41") and self.cut_at is None:
                self.cut_at = time.perf_counter()
            elif data == "2":
                await self.ws.send_str("3")
        if self.cut_at is None:
            self.cut_at = time.perf_counter()


@dataclass
class RealServerResult:
    clients: int
    connected: int
    cut_ms: list[float]
    reissue_http_ms: list[float]
    wrongly_cut: int
    failed_to_connect: int


@dataclass
class InProcessResult:
    connections: int
    sweep_ms: float
    selects: int
    cut: int


async def real_server(clients: int, rounds: int, instance: Path) -> RealServerResult:
    url = f"sqlite:///{instance / 'bench.db'}"
    seed = seed_database(url, attendees=clients, items=12)
    server = Server(instance, url, "eventlet")
    server.start()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        try:
            await server.wait_healthy(http)
            arrivals = Arrivals()
            tablets: list[WatchedClient] = []
            gate = asyncio.Semaphore(50)
            failures = 0

            async def one(token: str) -> None:
                nonlocal failures
                async with gate:
                    tablet = WatchedClient(http, arrivals)
                    try:
                        await tablet.connect(server.url, token, seed.meeting_id, 30)
                        tablets.append(tablet)
                    except Exception:
                        failures += 1

            await asyncio.gather(*(one(token) for token in seed.tokens))
            # A fresh database: the n-th delegate seeded is attendee n (ids from 1).
            attendee_of = {token: n + 1 for n, token in enumerate(seed.tokens)}
            async with http.post(
                f"{server.url}/api/v1/auth/tokens",
                json={"username": "bench_secretary", "password": PASSWORD},
            ) as response:
                bearer = {"Authorization": f"Bearer {(await response.json())['token']}"}
            cut_ms: list[float] = []
            http_ms: list[float] = []
            for n in range(rounds):
                victim = tablets[(n * 97) % len(tablets)]
                attendee_id = attendee_of[victim.token]
                started = time.perf_counter()
                async with http.post(
                    f"{server.url}/api/v1/attendees/{attendee_id}/link", headers=bearer
                ) as response:
                    await response.read()
                    assert response.status == 201, response.status
                http_ms.append((time.perf_counter() - started) * 1000)
                deadline = time.perf_counter() + 10
                while victim.cut_at is None and time.perf_counter() < deadline:
                    await asyncio.sleep(0.001)
                cut_ms.append(((victim.cut_at or deadline) - started) * 1000)
                await asyncio.sleep(0.2)
            victims = {id(tablets[(n * 97) % len(tablets)]) for n in range(rounds)}
            wrongly = sum(1 for t in tablets if t.cut_at is not None and id(t) not in victims)
            for tablet in tablets:
                with contextlib.suppress(Exception):
                    await tablet.close()
            return RealServerResult(clients, len(tablets), cut_ms, http_ms, wrongly, failures)
        finally:
            server.stop()


def in_process(connections: int, instance: Path) -> InProcessResult:
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from sqlalchemy import event
    from sqlmodel import col, select

    from ecabinet.app import create_app
    from ecabinet.events import AccessRevoked
    from ecabinet.pickup.models import AttendeeToken

    url = f"sqlite:///{instance / 'inproc.db'}"
    seed = seed_database(url, attendees=connections, items=12)
    (instance / "inproc").mkdir()
    app = create_app(
        {
            "DATABASE_URL": url,
            "INSTANCE_PATH": str(instance / "inproc"),
            "STORAGE_DIR": str(instance / "inproc" / "storage"),
            "SECRET_KEY": "bench-secret-key-0123456789abcdef0123456789",
            "ASYNC_MODE": "threading",
            "LOG_LEVEL": "WARNING",
            "SOCKET_CREDENTIAL_LIMIT": "100000 per second",
        }
    )
    socketio = app.extensions["socketio"]
    clients = [socketio.test_client(app, auth={"token": token}) for token in seed.tokens]
    for client in clients:
        assert client.emit("meeting:join", {"meeting_id": seed.meeting_id}, callback=True)["ok"]
    database = app.extensions["ecabinet.db"]
    victim_attendee = connections // 2
    with database.unit_of_work() as session:
        token = session.exec(
            select(AttendeeToken).where(col(AttendeeToken.attendee_id) == victim_attendee)
        ).one()
        token.revoked_at = token.created_at  # behind the services' back: no sweep started
    statements: list[str] = []

    def note(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", note)
    namespace = app.extensions["ecabinet.live"]
    started = time.perf_counter()
    cut = namespace.sweep(
        [AccessRevoked(meeting_id=seed.meeting_id, attendee_ids=(victim_attendee,))]
    )
    elapsed = (time.perf_counter() - started) * 1000
    event.remove(database.engine, "before_cursor_execute", note)
    namespace.close()
    return InProcessResult(len(clients), elapsed, len(statements), cut)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/revocation.py", description=__doc__)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=10)
    opts = parser.parse_args(argv)
    raise_fd_limit(opts.clients * 2 + 200)
    with tempfile.TemporaryDirectory(prefix="ecabinet-revoke-") as name:
        instance = Path(name)
        (instance / "server").mkdir()
        real = asyncio.run(real_server(opts.clients, opts.rounds, instance / "server"))
        local = in_process(opts.clients, instance)
    stamp = datetime.now(UTC)
    cut = sorted(real.cut_ms)
    lines = [
        f"## {stamp:%Y-%m-%d %H:%M} UTC — revocation with {opts.clients} tablets connected",
        "",
        f"- Machine: {machine_info()['cpu_model']}, {machine_info()['cores']} cores shared by "
        "the server and the load generator",
        "- Real server (eventlet, SQLite): the secretary re-issues one delegate's link over HTTP "
        f"({opts.rounds} rounds, a different delegate each time); {real.connected}/"
        f"{opts.clients} tablets connected",
        "",
        "| measure | p50 | max |",
        "|---|---|---|",
        f"| re-issue → revoked tablet gets the disconnect, ms | {statistics.median(cut):.1f} "
        f"| {cut[-1]:.1f} |",
        f"| the re-issue's HTTP answer, ms | {statistics.median(real.reissue_http_ms):.1f} "
        f"| {max(real.reissue_http_ms):.1f} |",
        "",
        f"- Other tablets cut by mistake: {real.wrongly_cut}.",
        f"- In process, {local.connections} connections, one attendee revoked: the sweep took "
        f"{local.sweep_ms:.1f} ms, issued {local.selects} SELECT(s), cut {local.cut}.",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    with (BENCH_DIR / "RESULTS.md").open("a") as results:
        results.write("\n" + report)
    raw = BENCH_DIR / "results" / f"revocation-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw.write_text(json.dumps({"real": asdict(real), "in_process": asdict(local)}, indent=1))
    print(f"Appended to bench/RESULTS.md; raw figures in {raw.relative_to(REPO_ROOT)}")
    ok = (
        real.wrongly_cut == 0
        and real.failed_to_connect == 0
        and local.cut == 1
        and max(cut) < 10_000
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
