"""Fan-out benchmark: chair's HTTP "next" → the last of N Socket.IO tablets gets `meeting:state`.

Starts the real server (`python -m ecabinet serve`) in a subprocess on a fresh SQLite database,
connects N delegate clients over websocket from this process, and times R control rounds.
See bench/README.md for what each column means and the caveats.

Run: .venv/bin/python bench/fanout.py [--sizes 100,1000] [--rounds 30] ...   (or `make bench`)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import platform
import re
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any, Literal, Protocol

import aiohttp
import psutil

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
PASSWORD = "mat-khau-do-tai-fanout"  # noqa: S105  (a throwaway account in a throwaway database)
PACKAGES = ("flask-socketio", "python-socketio", "python-engineio", "eventlet", "aiohttp")
MAX_AGENDA_ITEMS = 500  # ecabinet.agenda.service.MAX_ITEMS
ClientKind = Literal["raw", "socketio"]
VERSION_RE = re.compile(r'42\["meeting:state",\{(?:"meeting_id":\d+,)?"version":(\d+)[,}]')


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    sizes: list[int]
    rounds: int
    warmup: int
    items: int
    async_mode: str
    client: ClientKind
    handshakes: int
    round_timeout: float
    pause: float
    results_md: Path
    results_dir: Path
    keep_tmp: bool
    gc_probe: bool
    upload_pages: int = 0


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/fanout.py",
        description=(
            "Time the chair's HTTP 'next' until the last of N real Socket.IO clients receives "
            "the meeting:state push. Starts its own server on 127.0.0.1; appends the table to "
            "bench/RESULTS.md and raw figures to bench/results/."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--sizes", default="100,1000", help="comma-separated client counts, one server per size"
    )
    parser.add_argument("--rounds", type=int, default=30, help="measured rounds per size")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured rounds first")
    parser.add_argument(
        "--items",
        type=int,
        default=12,
        help="agenda items in the meeting (each push carries the whole agenda); the chair "
        "walks next…next, then previous…previous, so any number of rounds fits",
    )
    parser.add_argument(
        "--async-mode",
        choices=["eventlet", "gevent", "threading"],
        default="eventlet",
        help="the server's ECABINET_ASYNC_MODE",
    )
    parser.add_argument(
        "--client",
        choices=["raw", "socketio"],
        default="raw",
        help="load generator: 'raw' = minimal Engine.IO/Socket.IO over aiohttp websockets, "
        "'socketio' = python-socketio AsyncClient (heavier per client)",
    )
    parser.add_argument(
        "--handshakes", type=int, default=50, help="concurrent connection handshakes"
    )
    parser.add_argument(
        "--round-timeout", type=float, default=10.0, help="seconds to wait for all N pushes"
    )
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between rounds")
    parser.add_argument(
        "--results-md",
        type=Path,
        default=BENCH_DIR / "RESULTS.md",
        help="Markdown file the dated section is appended to",
    )
    parser.add_argument(
        "--results-dir", type=Path, default=BENCH_DIR / "results", help="one JSON file per run"
    )
    parser.add_argument(
        "--keep-tmp", action="store_true", help="keep the server's instance dir (log, database)"
    )
    parser.add_argument(
        "--gc-probe",
        action="store_true",
        help="start the server through bench/gcprobe.py, which logs every full garbage "
        "collection, and report the server's gen-2 GC pauses during the measured rounds",
    )
    parser.add_argument(
        "--upload-pages",
        type=int,
        default=0,
        help="while the rounds run, the secretary uploads a PDF of about this many pages again "
        "and again (each checked by the server's job runner before the next), and /healthz is "
        "probed back to back: the hub under heavy work (0: off)",
    )
    args = parser.parse_args(argv)
    try:
        sizes = [int(part) for part in str(args.sizes).split(",") if part.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: expected e.g. 100,1000")
    if not sizes or min(sizes) < 1:
        parser.error("--sizes: at least one positive size")
    if args.rounds < 1 or args.warmup < 0 or not 2 <= args.items <= MAX_AGENDA_ITEMS:
        parser.error(f"--rounds >= 1, --warmup >= 0, 2 <= --items <= {MAX_AGENDA_ITEMS}")
    return Options(
        sizes=sizes,
        rounds=args.rounds,
        warmup=args.warmup,
        items=args.items,
        async_mode=args.async_mode,
        client=args.client,
        handshakes=max(1, args.handshakes),
        round_timeout=args.round_timeout,
        pause=args.pause,
        results_md=args.results_md,
        results_dir=args.results_dir,
        keep_tmp=args.keep_tmp,
        gc_probe=args.gc_probe,
        upload_pages=max(0, args.upload_pages),
    )


# --------------------------------------------------------------------------- seeding


@dataclass(frozen=True)
class Seed:
    meeting_id: int
    chair_username: str
    tokens: list[str]


def seed_database(url: str, *, attendees: int, items: int) -> Seed:
    """Migrate a fresh database and create a meeting with `attendees` delegates, one link each.

    Goes through the project's services (as tests/factories.py does), in a few transactions.
    """
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from ecabinet.actor import SYSTEM, Role
    from ecabinet.agenda import service as agenda
    from ecabinet.agenda.schemas import AgendaItemCreate
    from ecabinet.attendees import service as attendee_service
    from ecabinet.attendees.schemas import AttendeeCreate
    from ecabinet.auth import service as auth
    from ecabinet.db import Database, make_engine, upgrade
    from ecabinet.meetings import service as meetings
    from ecabinet.meetings.schemas import MeetingCreate
    from ecabinet.pickup import service as pickup

    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    database = Database.from_url(url)
    try:
        with database.unit_of_work() as session:
            secretary = auth.create_user(
                session,
                actor=SYSTEM,
                username="bench_secretary",
                password=PASSWORD,
                role=Role.SECRETARY,
                full_name="Thư ký đo tải",
            )
            chair = auth.create_user(
                session,
                actor=SYSTEM,
                username="bench_chair",
                password=PASSWORD,
                role=Role.CHAIR,
                full_name="Chủ tọa đo tải",
            )
            secretary_actor = auth.actor_for_user(secretary)
            meeting = meetings.create_meeting(
                session,
                actor=secretary_actor,
                data=MeetingCreate(
                    title="Họp Ban Thường vụ (đo tải)", location="Phòng họp số 1", chair_id=chair.id
                ),
            )
            assert meeting.id is not None
            meeting_id = meeting.id
            for n in range(items):
                agenda.add_item(
                    session,
                    actor=secretary_actor,
                    meeting_id=meeting_id,
                    data=AgendaItemCreate(
                        title=f"Nội dung {n + 1}: báo cáo tình hình kinh tế - xã hội",
                        presenter="Đồng chí Hùng",
                        duration_minutes=15,
                    ),
                )
                session.flush()
        tokens: list[str] = []
        with database.unit_of_work() as session:
            for n in range(attendees):
                attendee = attendee_service.add_attendee(
                    session,
                    actor=secretary_actor,
                    meeting_id=meeting_id,
                    data=AttendeeCreate(
                        full_name=f"Đại biểu {n + 1}", position="Ủy viên", unit="Đảng ủy xã"
                    ),
                )
                assert attendee.id is not None
                issued = pickup.issue_token(
                    session,
                    actor=secretary_actor,
                    attendee_id=attendee.id,
                    lifetime=timedelta(days=1),
                )
                tokens.append(issued.raw)
        return Seed(meeting_id, chair.username, tokens)
    finally:
        database.dispose()


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`python -m ecabinet serve` in a subprocess, logging to <instance>/server.log."""

    def __init__(
        self, instance: Path, database_url: str, async_mode: str, *, gc_probe: bool = False
    ) -> None:
        self.instance = instance
        self.database_url = database_url
        self.async_mode = async_mode
        self.gc_probe = gc_probe
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = instance / "server.log"
        self._popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None

    def start(self) -> None:
        (self.instance / "secret_key").write_text(secrets.token_hex(32))
        env = {
            **os.environ,
            "ECABINET_INSTANCE_PATH": str(self.instance),
            "ECABINET_DATABASE_URL": self.database_url,
            "ECABINET_ASYNC_MODE": self.async_mode,
            "ECABINET_LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
            # The chair's 10-per-second limit still runs; it must not refuse a short --pause.
            "ECABINET_LIVE_CONTROL_LIMIT": "1000 per second",
        }
        entry = [str(BENCH_DIR / "gcprobe.py")] if self.gc_probe else ["-m", "ecabinet"]
        command = [sys.executable, *entry, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        with self.log_path.open("wb") as log:
            self._popen = subprocess.Popen(
                command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        self.process = psutil.Process(self._popen.pid)

    async def wait_healthy(self, http: aiohttp.ClientSession, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._popen is not None and self._popen.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{self.url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def rss(self) -> int:
        assert self.process is not None
        return int(self.process.memory_info().rss)

    def cpu_seconds(self) -> float:
        assert self.process is not None
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self._popen is None or self._popen.poll() is not None:
            return
        self._popen.terminate()
        try:
            self._popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._popen.kill()
            self._popen.wait(timeout=10)

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_lines()[-lines:])


# --------------------------------------------------------------------------- clients


class Arrivals:
    """Receive times (perf_counter, this process) of `meeting:state` pushes, by version."""

    def __init__(self) -> None:
        self.expected = 0
        self.times: defaultdict[int, list[float]] = defaultdict(list)
        self.payload_bytes = 0
        self._waiting: tuple[int, asyncio.Event] | None = None

    def record(self, version: int, received: float) -> None:
        times = self.times[version]
        times.append(received)
        waiting = self._waiting
        if waiting is not None and waiting[0] == version and len(times) >= self.expected:
            waiting[1].set()

    async def wait_all(self, version: int, timeout: float) -> list[float]:
        """The receive times of `version`, once all expected clients have it or at the timeout."""
        if len(self.times[version]) < self.expected:
            done = asyncio.Event()
            self._waiting = (version, done)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), timeout)
            self._waiting = None
        return list(self.times[version])


class Client(Protocol):
    async def connect(self, url: str, token: str, meeting_id: int, timeout: float) -> int:
        """Connect, authenticate, join the meeting; return the version in the join ack."""

    async def close(self) -> None: ...


class HandshakeError(RuntimeError):
    pass


class RawClient:
    """A minimal Engine.IO 4 / Socket.IO 5 client: one aiohttp websocket, text packets only.

    Packets: "0{open}", "40{auth}" connect, "42[event,data]" event, "43<id>[ack]" ack,
    "2"/"3" ping/pong. Just enough for a tablet that joins a meeting and listens.
    """

    def __init__(self, http: aiohttp.ClientSession, arrivals: Arrivals) -> None:
        self.http = http
        self.arrivals = arrivals
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, url: str, token: str, meeting_id: int, timeout: float) -> int:
        ws_url = url.replace("http://", "ws://", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.ws = await self.http.ws_connect(
            ws_url, timeout=aiohttp.ClientWSTimeout(ws_close=timeout), max_msg_size=0
        )
        opening = await self._next_packet(timeout)
        if not opening.startswith("0"):
            raise HandshakeError(f"expected Engine.IO open, got {opening[:80]!r}")
        await self.ws.send_str("40" + json.dumps({"token": token}))
        connected = await self._next_packet(timeout)
        if not connected.startswith("40"):
            raise HandshakeError(f"Socket.IO connect refused: {connected[:120]!r}")
        await self.ws.send_str("420" + json.dumps(["meeting:join", {"meeting_id": meeting_id}]))
        ack = await self._next_packet(timeout)
        while ack.startswith("42"):  # a push that raced the ack: keep it, wait for the ack
            self._on_event(ack, time.perf_counter())
            ack = await self._next_packet(timeout)
        if not ack.startswith("430"):
            raise HandshakeError(f"expected join ack, got {ack[:120]!r}")
        reply = json.loads(ack[3:])[0]
        if not reply.get("ok"):
            raise HandshakeError(f"join refused: {reply.get('error')}")
        self._reader = asyncio.create_task(self._read())
        return int(reply["state"]["version"])

    async def _next_packet(self, timeout: float) -> str:
        """The next Socket.IO packet during the handshake, answering pings on the way."""
        assert self.ws is not None
        while True:
            message = await self.ws.receive(timeout=timeout)
            if message.type is not aiohttp.WSMsgType.TEXT:
                raise HandshakeError(f"websocket {message.type.name} during handshake")
            data = str(message.data)
            if data == "2":
                await self.ws.send_str("3")
                continue
            return data

    async def _read(self) -> None:
        assert self.ws is not None
        async for message in self.ws:
            received = time.perf_counter()
            if message.type is not aiohttp.WSMsgType.TEXT:
                continue
            data: str = message.data
            if data.startswith("42"):
                self._on_event(data, received)
            elif data == "2":
                await self.ws.send_str("3")

    def _on_event(self, packet: str, received: float) -> None:
        # The load generator shares the cores with the server: find the version without
        # decoding the whole agenda when the snapshot starts as it does today.
        if found := VERSION_RE.match(packet, 0, 160):
            version = int(found.group(1))
        else:
            event, payload = json.loads(packet[2:])[:2]
            if event != "meeting:state":
                return
            version = int(payload["version"])
        if not self.arrivals.payload_bytes:
            self.arrivals.payload_bytes = len(packet.encode())
        self.arrivals.record(version, received)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class SocketIOClient:
    """python-socketio's AsyncClient (what a Python tablet would use), sharing one HTTP session."""

    def __init__(self, http: aiohttp.ClientSession, arrivals: Arrivals) -> None:
        import socketio

        self.arrivals = arrivals
        self.sio: Any = socketio.AsyncClient(
            reconnection=False, http_session=http, handle_sigint=False
        )
        self.sio.on("meeting:state", self._on_state)

    async def _on_state(self, data: dict[str, Any]) -> None:
        self.arrivals.record(int(data["version"]), time.perf_counter())

    async def connect(self, url: str, token: str, meeting_id: int, timeout: float) -> int:
        await self.sio.connect(
            url, auth={"token": token}, transports=["websocket"], wait_timeout=timeout
        )
        reply = await self.sio.call("meeting:join", {"meeting_id": meeting_id}, timeout=timeout)
        if not reply.get("ok"):
            raise HandshakeError(f"join refused: {reply.get('error')}")
        return int(reply["state"]["version"])

    async def close(self) -> None:
        await self.sio.disconnect()


def make_client(kind: ClientKind, http: aiohttp.ClientSession, arrivals: Arrivals) -> Client:
    return RawClient(http, arrivals) if kind == "raw" else SocketIOClient(http, arrivals)


@dataclass
class Connected:
    clients: list[Client]
    failures: list[str]
    seconds: float
    versions: set[int]


async def connect_all(
    kind: ClientKind,
    http: aiohttp.ClientSession,
    arrivals: Arrivals,
    *,
    url: str,
    tokens: Sequence[str],
    meeting_id: int,
    concurrency: int,
    timeout: float,
) -> Connected:
    gate = asyncio.Semaphore(concurrency)
    clients: list[Client] = []
    failures: list[str] = []
    versions: set[int] = set()

    async def one(token: str) -> None:
        async with gate:
            client = make_client(kind, http, arrivals)
            try:
                versions.add(await client.connect(url, token, meeting_id, timeout))
                clients.append(client)
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}")
                with contextlib.suppress(Exception):
                    await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(one(token) for token in tokens))
    return Connected(clients, failures, time.perf_counter() - started, versions)


async def close_all(clients: Sequence[Client], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def one(client: Client) -> None:
        async with gate:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.close(), 5)

    await asyncio.gather(*(one(client) for client in clients))


# --------------------------------------------------------------------------- rounds


@dataclass
class Round:
    at_s: float  # when the round started, seconds after all clients had joined
    action: str
    version: int
    received: int
    missed: int
    http_ms: float
    first_ms: float | None
    median_ms: float | None
    last_ms: float | None
    server_cpu_ms: float  # server utime+stime from the POST to the last push (10 ms ticks)


class Chair:
    """The chair's HTTP client: a bearer token, and next/previous that never run off the agenda."""

    def __init__(self, http: aiohttp.ClientSession, url: str, meeting_id: int, items: int) -> None:
        self.http = http
        self.base = f"{url}/api/v1/meetings/{meeting_id}/live"
        self.url = url
        self.items = items
        self.position = 0  # index of the current item once started
        self.headers: dict[str, str] = {}

    async def sign_in(self, username: str) -> None:
        async with self.http.post(
            f"{self.url}/api/v1/auth/tokens", json={"username": username, "password": PASSWORD}
        ) as response:
            body = await response.json()
            if response.status != 201:
                raise RuntimeError(f"sign-in failed: {response.status} {body}")
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    async def post(self, action: str) -> tuple[int, float]:
        """POST live/<action>; return (new version, response time in ms)."""
        started = time.perf_counter()
        async with self.http.post(f"{self.base}/{action}", headers=self.headers) as response:
            body = await response.json()
            elapsed = time.perf_counter() - started
            if response.status != 200:
                raise RuntimeError(f"live/{action}: {response.status} {body}")
        return int(body["version"]), elapsed * 1000

    def next_action(self) -> str:
        """Walk forward to the last item, then back to the first, and so on."""
        forward = (self.position // (self.items - 1)) % 2 == 0
        self.position += 1
        return "next" if forward else "previous"


async def run_round(
    chair: Chair, arrivals: Arrivals, server: Server, timeout: float, epoch: float
) -> tuple[Round, list[float]]:
    """One control; the round's summary and every client's latency in ms."""
    action = chair.next_action()
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    version, http_ms = await chair.post(action)
    times = await arrivals.wait_all(version, timeout)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
    latencies = sorted((t - started) * 1000 for t in times)
    return Round(
        at_s=started - epoch,
        action=action,
        version=version,
        received=len(latencies),
        missed=max(0, arrivals.expected - len(latencies)),
        http_ms=http_ms,
        first_ms=latencies[0] if latencies else None,
        median_ms=statistics.median(latencies) if latencies else None,
        last_ms=latencies[-1] if len(latencies) >= arrivals.expected else None,
        server_cpu_ms=cpu_ms,
    ), latencies


# --------------------------------------------------------------------------- one size


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


class HeavyWork:
    """During the rounds: a big PDF uploaded again and again (the server checks each in a job:
    a child process it waits for), and /healthz probed back to back."""

    def __init__(self, http: aiohttp.ClientSession, url: str, meeting_id: int, pages: int):
        self.http = http
        self.url = url
        self.meeting_id = meeting_id
        self.pages = pages
        self.checked = 0
        self.health_ms: list[float] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()
        self._pdf = b""
        self._headers: dict[str, str] = {}

    async def start(self) -> None:
        if str(REPO_ROOT) not in sys.path:
            sys.path.insert(0, str(REPO_ROOT))
        from ecabinet.documents.pdf import text_pdf

        # About 6 pages per 35 paragraphs of this length with the project's own fonts.
        paragraph = "Nội dung báo cáo chính trị, đoạn văn dài để đo tải. " * 12
        self._pdf = text_pdf("Báo cáo đo tải", [paragraph] * (self.pages * 6))
        async with self.http.post(
            f"{self.url}/api/v1/auth/tokens",
            json={"username": "bench_secretary", "password": PASSWORD},
        ) as response:
            self._headers = {"Authorization": f"Bearer {(await response.json())['token']}"}
        self._tasks = [asyncio.create_task(self._upload()), asyncio.create_task(self._probe())]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _upload(self) -> None:
        while not self._stop.is_set():
            form = aiohttp.FormData()
            form.add_field(
                "file", self._pdf, filename="bao-cao.pdf", content_type="application/pdf"
            )
            async with self.http.post(
                f"{self.url}/api/v1/meetings/{self.meeting_id}/documents",
                data=form,
                headers=self._headers,
            ) as response:
                body = await response.json()
                if response.status != 201:
                    raise RuntimeError(f"upload: {response.status} {body}")
            while not self._stop.is_set():
                async with self.http.get(
                    f"{self.url}/api/v1/documents/{body['id']}", headers=self._headers
                ) as response:
                    if (await response.json())["status"] != "processing":
                        self.checked += 1
                        break
                await asyncio.sleep(0.05)

    async def _probe(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            async with self.http.get(f"{self.url}/healthz") as response:
                await response.read()
            self.health_ms.append((time.perf_counter() - started) * 1000)


@dataclass
class SizeResult:
    n: int
    connected: int
    connect_failures: int
    failure_samples: list[str]
    connect_seconds: float
    rounds: int
    complete_rounds: int
    missed_pushes: int
    last_p50_ms: float
    last_p99_ms: float
    last_max_ms: float
    first_p50_ms: float
    all_p50_ms: float
    http_p50_ms: float
    server_cpu_ms_per_broadcast: float
    server_idle_cpu_ms_per_s: float
    loadgen_cpu_ms_per_broadcast: float
    rss_idle_mb: float
    rss_connected_mb: float
    kb_per_connection: float
    payload_bytes: int
    server_gc_pauses: int | None  # full collections during the measured rounds (--gc-probe)
    server_gc_total_ms: float | None
    server_gc_max_ms: float | None
    server_log_errors: int
    server_log_sample: list[str]
    per_round: list[Round] = field(default_factory=list)
    uploads_checked: int = 0
    health_p50_ms: float | None = None
    health_p99_ms: float | None = None
    health_probes: int = 0


GC_LINE = re.compile(r"^bench-gc gen=2 ms=([\d.]+) at=([\d.]+)$")
BAD_LINE = re.compile(r"Traceback|ERROR|CRITICAL|Exception", re.IGNORECASE)


def summarize_log(lines: Sequence[str]) -> tuple[int, list[str]]:
    """How many lines look like errors, and the first of them."""
    bad = [line[:300] for line in lines if BAD_LINE.search(line)]
    return len(bad), bad[:20]


def gc_pauses(lines: Sequence[str], start: float, end: float) -> list[float]:
    """Full-GC pauses (ms) that --gc-probe logged between two wall-clock instants."""
    pauses = []
    for line in lines:
        if (found := GC_LINE.match(line)) and start <= float(found.group(2)) <= end:
            pauses.append(float(found.group(1)))
    return pauses


async def measure_size(opts: Options, n: int, instance: Path) -> SizeResult:
    database_url = f"sqlite:///{instance / 'bench.db'}"
    started = time.perf_counter()
    seed = seed_database(database_url, attendees=n, items=opts.items)
    print(f"  seeded {n} delegates in {time.perf_counter() - started:.1f} s", flush=True)

    server = Server(instance, database_url, opts.async_mode, gc_probe=opts.gc_probe)
    me = psutil.Process()
    server.start()
    try:
        timeout = aiohttp.ClientTimeout(total=30)
        async with (
            aiohttp.ClientSession(timeout=timeout) as http,
            aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as sockets,
        ):
            await server.wait_healthy(http)
            chair = Chair(http, server.url, seed.meeting_id, opts.items)
            await chair.sign_in(seed.chair_username)
            await chair.post("start")
            await asyncio.sleep(1.0)
            rss_idle = server.rss()

            arrivals = Arrivals()
            connected = await connect_all(
                opts.client,
                sockets,
                arrivals,
                url=server.url,
                tokens=seed.tokens,
                meeting_id=seed.meeting_id,
                concurrency=opts.handshakes,
                timeout=opts.round_timeout,
            )
            arrivals.expected = len(connected.clients)
            epoch = time.perf_counter()
            print(
                f"  connected {len(connected.clients)}/{n} in {connected.seconds:.1f} s "
                f"({len(connected.failures)} failed; join versions {sorted(connected.versions)})",
                flush=True,
            )
            gc.collect()
            gc.freeze()  # keep a full collection of 1,000 clients out of the timed window
            await asyncio.sleep(1.0)
            cpu_idle_start, idle_start = server.cpu_seconds(), time.perf_counter()
            await asyncio.sleep(2.0)
            idle_cpu_rate = (server.cpu_seconds() - cpu_idle_start) / (
                time.perf_counter() - idle_start
            )
            rss_connected = server.rss()

            for _ in range(opts.warmup):
                await run_round(chair, arrivals, server, opts.round_timeout, epoch)
                await asyncio.sleep(opts.pause)

            rounds: list[Round] = []
            pooled: list[float] = []
            heavy = HeavyWork(http, server.url, seed.meeting_id, opts.upload_pages)
            if opts.upload_pages:
                await heavy.start()
            cpu_start, me_start = server.cpu_seconds(), _own_cpu(me)
            wall_start = time.time()
            for _ in range(opts.rounds):
                result, latencies = await run_round(
                    chair, arrivals, server, opts.round_timeout, epoch
                )
                rounds.append(result)
                pooled.extend(latencies)
                await asyncio.sleep(opts.pause)
            wall_end = time.time()
            await heavy.stop()
            cpu_used = server.cpu_seconds() - cpu_start
            me_used = _own_cpu(me) - me_start
            gc.unfreeze()
            await close_all(connected.clients, opts.handshakes)
    finally:
        server.stop()

    log_lines = server.log_lines()
    errors, sample = summarize_log(log_lines)
    pauses = gc_pauses(log_lines, wall_start, wall_end) if opts.gc_probe else None
    lasts = [r.last_ms for r in rounds if r.last_ms is not None]
    firsts = [r.first_ms for r in rounds if r.first_ms is not None]
    nan = float("nan")
    return SizeResult(
        n=n,
        connected=len(connected.clients),
        connect_failures=len(connected.failures),
        failure_samples=sorted(set(connected.failures))[:5],
        connect_seconds=connected.seconds,
        rounds=len(rounds),
        complete_rounds=len(lasts),
        missed_pushes=sum(r.missed for r in rounds),
        last_p50_ms=statistics.median(lasts) if lasts else nan,
        last_p99_ms=percentile(lasts, 99),
        last_max_ms=max(lasts) if lasts else nan,
        first_p50_ms=statistics.median(firsts) if firsts else nan,
        all_p50_ms=statistics.median(pooled) if pooled else nan,
        http_p50_ms=statistics.median(r.http_ms for r in rounds),
        server_cpu_ms_per_broadcast=cpu_used * 1000 / len(rounds),
        server_idle_cpu_ms_per_s=idle_cpu_rate * 1000,
        loadgen_cpu_ms_per_broadcast=me_used * 1000 / len(rounds),
        rss_idle_mb=rss_idle / 2**20,
        rss_connected_mb=rss_connected / 2**20,
        kb_per_connection=(rss_connected - rss_idle) / 1024 / max(1, len(connected.clients)),
        payload_bytes=arrivals.payload_bytes,
        server_gc_pauses=None if pauses is None else len(pauses),
        server_gc_total_ms=None if pauses is None else sum(pauses),
        server_gc_max_ms=None if pauses is None else max(pauses, default=0.0),
        server_log_errors=errors,
        server_log_sample=sample,
        per_round=rounds,
        uploads_checked=heavy.checked,
        health_p50_ms=statistics.median(heavy.health_ms) if heavy.health_ms else None,
        health_p99_ms=percentile(heavy.health_ms, 99) if heavy.health_ms else None,
        health_probes=len(heavy.health_ms),
    )


def _own_cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


# --------------------------------------------------------------------------- reporting


def machine_info() -> dict[str, Any]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    versions: dict[str, str] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": versions,
    }


COLUMNS = (
    ("N", "n", "{:d}"),
    ("connected", "connected", "{:d}"),
    ("last p50 ms", "last_p50_ms", "{:.1f}"),
    ("last p99 ms", "last_p99_ms", "{:.1f}"),
    ("first p50 ms", "first_p50_ms", "{:.1f}"),
    ("all p50 ms", "all_p50_ms", "{:.1f}"),
    ("HTTP p50 ms", "http_p50_ms", "{:.1f}"),
    ("srv CPU ms/bcast", "server_cpu_ms_per_broadcast", "{:.1f}"),
    ("RSS idle MB", "rss_idle_mb", "{:.1f}"),
    ("RSS N MB", "rss_connected_mb", "{:.1f}"),
    ("KB/conn", "kb_per_connection", "{:.1f}"),
    ("missed", "missed_pushes", "{:d}"),
)


def table(results: Sequence[SizeResult]) -> str:
    header = "| " + " | ".join(title for title, _, _ in COLUMNS) + " |"
    rule = "|" + "|".join("-" * (len(title) + 2) for title, _, _ in COLUMNS) + "|"
    rows = [
        "| " + " | ".join(fmt.format(getattr(r, attr)) for _, attr, fmt in COLUMNS) + " |"
        for r in results
    ]
    return "\n".join([header, rule, *rows])


def details(r: SizeResult) -> str:
    """The figures that do not fit the table, as one line."""
    text = (
        f"connected {r.connected}/{r.n} in {r.connect_seconds:.1f} s "
        f"({r.connect_failures} failed); {r.complete_rounds}/{r.rounds} rounds complete, "
        f"{r.missed_pushes} pushes missed; last-client max {r.last_max_ms:.1f} ms; "
        f"push {f'{r.payload_bytes} B' if r.payload_bytes else 'size not seen by this client'}; "
        f"server CPU idle with N connected "
        f"{r.server_idle_cpu_ms_per_s:.1f} ms/s; load generator CPU "
        f"{r.loadgen_cpu_ms_per_broadcast:.1f} ms/bcast"
    )
    if r.server_gc_pauses is not None:
        text += (
            f"; server full GCs in the measured rounds: {r.server_gc_pauses}, "
            f"total {r.server_gc_total_ms or 0:.0f} ms, longest {r.server_gc_max_ms or 0:.0f} ms"
        )
    if r.health_probes:
        text += (
            f"; heavy work: {r.uploads_checked} big PDFs checked during the rounds, /healthz "
            f"p50 {r.health_p50_ms:.1f} ms, p99 {r.health_p99_ms:.1f} ms over "
            f"{r.health_probes} probes"
        )
    return text + f"; server log error lines: {r.server_log_errors}"


def markdown_section(
    opts: Options,
    machine: dict[str, Any],
    results: Sequence[SizeResult],
    stamp: datetime,
    raw_path: Path,
) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    notes = [f"- N={r.n}: {details(r)}" for r in results]
    try:
        raw = raw_path.relative_to(REPO_ROOT)
    except ValueError:
        raw = raw_path
    return "\n".join(
        [
            f"## {stamp:%Y-%m-%d %H:%M} UTC — async mode {opts.async_mode}, {opts.client} client"
            + (", --gc-probe" if opts.gc_probe else "")
            + (f", while {opts.upload_pages}-page PDFs are checked" if opts.upload_pages else ""),
            "",
            f"- Machine: {machine['cpu_model']}, {machine['cores']} cores **shared by the server "
            f"and the load generator**, {machine['memory_gib']} GiB RAM, Linux "
            f"{machine['kernel']}, Python {machine['python']}",
            f"- Packages: {packages}",
            f"- Async mode: {opts.async_mode}; websocket transport only; load generator: "
            f"{opts.client} client, one asyncio process; {opts.rounds} measured rounds after "
            f"{opts.warmup} warm-up; {opts.items}-item agenda; {opts.pause:.1f} s between rounds",
            f"- Raw figures: `{raw}`",
            "",
            table(results),
            "",
            *notes,
            "",
        ]
    )


def write_results(opts: Options, machine: dict[str, Any], results: Sequence[SizeResult]) -> Path:
    stamp = datetime.now(UTC)
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    raw_path = opts.results_dir / f"fanout-{stamp:%Y%m%dT%H%M%SZ}.json"
    payload = {
        "timestamp": stamp.isoformat(timespec="seconds"),
        "options": {
            **{k: v for k, v in asdict(opts).items() if k not in ("results_md", "results_dir")},
        },
        "machine": machine,
        "results": [asdict(r) for r in results],
    }
    raw_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    if not opts.results_md.exists():
        opts.results_md.write_text(
            "# Fan-out benchmark results\n\n"
            "Appended by `make bench` (bench/fanout.py); see bench/README.md for the columns.\n"
            "Newest section last. Times are medians unless marked p99.\n\n"
        )
    with opts.results_md.open("a") as md:
        md.write(markdown_section(opts, machine, results, stamp, raw_path) + "\n")
    return raw_path


# --------------------------------------------------------------------------- main


def raise_fd_limit(needed: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


@contextlib.contextmanager
def instance_dir(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="ecabinet-bench-"))
        print(f"  instance dir kept: {path}")
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="ecabinet-bench-") as name:
            yield Path(name)


async def run(opts: Options) -> list[SizeResult]:
    results = []
    for n in opts.sizes:
        print(f"N={n}: {opts.async_mode} server, {opts.client} clients", flush=True)
        with instance_dir(opts.keep_tmp) as instance:
            result = await measure_size(opts, n, instance)
        results.append(result)
        print(
            f"  last-client p50 {result.last_p50_ms:.1f} ms, p99 {result.last_p99_ms:.1f} ms; "
            f"{details(result)}",
            flush=True,
        )
        for line in result.server_log_sample:
            print(f"    server: {line}")
    return results


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    raise_fd_limit(max(opts.sizes) * 2 + 256)
    machine = machine_info()
    results = asyncio.run(run(opts))
    raw_path = write_results(opts, machine, results)
    print()
    print(table(results))
    print(f"\nAppended to {opts.results_md}; raw figures in {raw_path}")
    incomplete = any(r.connected < r.n or r.missed_pushes for r in results)
    return 1 if incomplete else 0


if __name__ == "__main__":
    sys.exit(main())
