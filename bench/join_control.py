"""Join and control cost: ecabinet's server against a bare Flask-SocketIO server, side by side.

Two costs, for each server in turn (one fresh server per repetition):

1. **Join cost per tablet**: the server process's CPU (user + system, psutil) while N Socket.IO
   clients connect over websocket with `auth={"token": ...}` and each sends `meeting:join` and
   gets its `ok` ack, divided by N; and the wall time of that phase.
2. **Chair control fixed cost**: with the N tablets joined, R chair controls over HTTP
   (ecabinet: `POST /api/v1/meetings/<id>/live/next`, then `previous` back, and so on; the bare
   server: `POST /next`, `/previous`): the answer time (p50, p90) and the server's CPU from the
   POST until the last tablet has the `meeting:state` push.

ecabinet checkouts (`--checkout DIR`, repeatable, default this repository) are set up as
bench/upload_stall.py does (cwd and PYTHONPATH = DIR, `ecabinet db upgrade`, `create-user`,
`python -m ecabinet serve`), then through the HTTP API only: a meeting, its agenda, N attendees
and one tablet link each, `live/start`. The floor is bench/bare_server.py: the same stack doing
the same visible work from memory. See bench/README.md ("Join and control cost").

Run: .venv/bin/python bench/join_control.py [--checkout DIR ...] [--clients 100] [--rounds 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import hashlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import aiohttp
import psutil
from fanout import (  # bench/ is sys.path[0] when run as a script
    Arrivals,
    Chair,
    close_all,
    connect_all,
    free_port,
    machine_info,
    percentile,
    raise_fd_limit,
)
from upload_stall import (
    PASSWORD,
    USERNAME,
    CheckoutInfo,
    describe_checkout,
    prepare_database,
    server_env,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
HOST = "127.0.0.1"
PACKAGES = (
    "flask",
    "werkzeug",
    "flask-socketio",
    "python-socketio",
    "python-engineio",
    "eventlet",
    "sqlalchemy",
    "aiohttp",
)
MAX_AGENDA_ITEMS = 500  # ecabinet.agenda.service.MAX_ITEMS
JOIN_TARGET_MS = 2.5  # server CPU per tablet joining (issue tracker)
CONTROL_RATIO_TARGET = 2.0  # ecabinet's control answer p50 ÷ the bare server's (issue tracker)
# Chair click → last tablet p50 ÷ the bare server's, at N = 1,000 (issue 11).
PUSH_RATIO_TARGET = 1.3
BARE_LABEL = "bare Flask-SocketIO (eventlet)"
MEETING_TITLE = "Họp Ban Thường vụ (đo tải)"
MEETING_LOCATION = "Phòng họp số 1"
Kind = Literal["ecabinet", "bare"]


def agenda_item(n: int) -> dict[str, Any]:
    """The n-th agenda item (0-based), the same for both servers (and as bench/fanout.py)."""
    return {
        "title": f"Nội dung {n + 1}: báo cáo tình hình kinh tế - xã hội",
        "presenter": "Đồng chí Hùng",
        "duration_minutes": 15,
    }


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    checkouts: list[Path]
    bare: bool
    clients: int
    rounds: int
    warmup_rounds: int
    warmup_tablets: int
    repeat: int
    items: int
    async_mode: str
    handshakes: int
    timeout: float
    pause: float
    idle: float
    results_md: Path
    results_dir: Path
    keep_tmp: bool


def parse_args(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="bench/join_control.py",
        description=(
            "Server CPU per tablet joining, and the chair's control answer time and CPU, for "
            "each ecabinet checkout and for a bare Flask-SocketIO server doing the same visible "
            "work. Appends a section to bench/RESULTS.md and raw figures to bench/results/."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--checkout",
        action="append",
        type=Path,
        default=None,
        metavar="DIR",
        help="a checkout of ecabinet to serve (repeatable; compared side by side in one run); "
        f"default: this repository ({REPO_ROOT})",
    )
    parser.add_argument(
        "--no-bare", action="store_true", help="skip the bare server (no ratio then)"
    )
    parser.add_argument("--clients", type=int, default=100, help="tablets (N)")
    parser.add_argument("--rounds", type=int, default=50, help="measured chair controls (R)")
    parser.add_argument("--warmup-rounds", type=int, default=3, help="unmeasured controls first")
    parser.add_argument(
        "--warmup-tablets",
        type=int,
        default=5,
        help="tablets that connect, join and leave before the measured joins (first-use costs)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="repetitions; each runs every server in turn, on a fresh server and database",
    )
    parser.add_argument("--items", type=int, default=12, help="agenda items in the meeting")
    parser.add_argument(
        "--async-mode",
        choices=["eventlet", "gevent", "threading"],
        default="eventlet",
        help="ecabinet's ECABINET_ASYNC_MODE (the bare server is always eventlet)",
    )
    parser.add_argument(
        "--handshakes", type=int, default=50, help="concurrent connection handshakes"
    )
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds for a handshake or for all pushes"
    )
    parser.add_argument("--pause", type=float, default=0.2, help="seconds between controls")
    parser.add_argument(
        "--idle", type=float, default=2.0, help="seconds of idle server CPU measured before joins"
    )
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
        "--keep-tmp", action="store_true", help="keep each server's instance dir (log, database)"
    )
    args = parser.parse_args(argv)
    checkouts = [Path(d).resolve() for d in (args.checkout or [REPO_ROOT])]
    for checkout in checkouts:
        if not (checkout / "ecabinet" / "__main__.py").is_file():
            parser.error(f"--checkout {checkout}: not an ecabinet checkout")
    if args.clients < 1 or args.rounds < 1 or args.repeat < 1:
        parser.error("--clients, --rounds and --repeat must be at least 1")
    if args.warmup_rounds < 0 or args.warmup_tablets < 0 or args.pause < 0 or args.idle <= 0:
        parser.error("--warmup-rounds, --warmup-tablets, --pause >= 0 and --idle > 0")
    if not 2 <= args.items <= MAX_AGENDA_ITEMS:
        parser.error(f"--items: 2 to {MAX_AGENDA_ITEMS}")
    return Options(
        checkouts=checkouts,
        bare=not args.no_bare,
        clients=args.clients,
        rounds=args.rounds,
        warmup_rounds=args.warmup_rounds,
        warmup_tablets=args.warmup_tablets,
        repeat=args.repeat,
        items=args.items,
        async_mode=args.async_mode,
        handshakes=max(1, args.handshakes),
        timeout=args.timeout,
        pause=args.pause,
        idle=args.idle,
        results_md=args.results_md,
        results_dir=args.results_dir,
        keep_tmp=args.keep_tmp,
    )


# --------------------------------------------------------------------------- servers


@dataclass(frozen=True)
class Target:
    """One server to measure: an ecabinet checkout or the bare server."""

    kind: Kind
    checkout: Path | None  # None for the bare server

    @property
    def name(self) -> str:
        return str(self.checkout) if self.checkout is not None else BARE_LABEL


class ServerProcess:
    """A server in a subprocess on a free port of 127.0.0.1, logging to <instance>/server.log."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], instance: Path):
        self.command = command
        self.cwd = cwd
        self.env = env
        self.log_path = instance / "server.log"
        self._popen: subprocess.Popen[bytes] | None = None
        self.process: psutil.Process | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        self.process = psutil.Process(self._popen.pid)

    async def wait_healthy(self, http: aiohttp.ClientSession, url: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._popen is not None and self._popen.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_tail()}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as response:
                    if response.status == 200:
                        return
            await asyncio.sleep(0.1)
        raise RuntimeError(f"server not healthy after {timeout:.0f} s:\n{self.log_tail()}")

    def cpu_seconds(self) -> float:
        """The server process's user + system CPU time (psutil; 10 ms ticks)."""
        assert self.process is not None
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def rss_mb(self) -> float:
        assert self.process is not None
        return float(self.process.memory_info().rss) / 2**20

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


@dataclass
class Prepared:
    """A running server, ready: whom the tablets are, how the chair controls."""

    server: ServerProcess
    url: str
    meeting_id: int
    warmup_tokens: list[str]
    tokens: list[str]
    control_base: str  # POST <control_base>/next | /previous
    chair_headers: dict[str, str]


def ecabinet_env(checkout: Path, instance: Path, async_mode: str, port: int) -> dict[str, str]:
    env = server_env(checkout, instance, async_mode)  # bench/upload_stall.py's
    env.update(
        {
            "ECABINET_PUBLIC_URL": f"http://{HOST}:{port}",  # so that links can be issued
            # The limiters still run on every event and control; they must not refuse the
            # benchmark (an older checkout ignores the settings it does not know).
            "ECABINET_LIVE_CONTROL_LIMIT": "1000 per second",
            "ECABINET_SOCKET_EVENT_LIMIT": "1000 per second",
            "ECABINET_SOCKET_CREDENTIAL_LIMIT": "1000 per second",
            "ECABINET_LOGIN_RATE_LIMIT": "1000 per minute",
        }
    )
    return env


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    token: str = "",
    body: Any = None,
    expect: int = 200,
) -> Any:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    async with http.request(method, url, json=body, headers=headers) as response:
        text = await response.text()
        if response.status != expect:
            raise RuntimeError(f"{method} {url}: {response.status} {text[:300]}")
    return json.loads(text) if text else None


async def seed_ecabinet(
    http: aiohttp.ClientSession, url: str, opts: Options, tablets: int
) -> tuple[int, str, list[str]]:
    """Through the HTTP API: a meeting (its creator, the admin, is its secretary), its agenda,
    `tablets` attendees with one link each, then `live/start`. (meeting id, token, tokens)"""
    api = f"{url}/api/v1"
    signed_in = await call(
        http,
        "POST",
        f"{api}/auth/tokens",
        body={"username": USERNAME, "password": PASSWORD},
        expect=201,
    )
    token = str(signed_in["token"])
    meeting = await call(
        http,
        "POST",
        f"{api}/meetings",
        token=token,
        body={"title": MEETING_TITLE, "location": MEETING_LOCATION},
        expect=201,
    )
    meeting_id = int(meeting["id"])
    for n in range(opts.items):
        await call(
            http,
            "POST",
            f"{api}/meetings/{meeting_id}/agenda",
            token=token,
            body=agenda_item(n),
            expect=201,
        )
    gate = asyncio.Semaphore(4)

    async def attendee(n: int) -> str:
        async with gate:
            added = await call(
                http,
                "POST",
                f"{api}/meetings/{meeting_id}/attendees",
                token=token,
                body={
                    "full_name": f"Đại biểu {n + 1}",
                    "position": "Ủy viên",
                    "unit": "Đảng ủy xã",
                },
                expect=201,
            )
            link = await call(
                http, "POST", f"{api}/attendees/{added['id']}/link", token=token, expect=201
            )
        return str(link["url"]).rstrip("/").rsplit("/", 1)[1]  # .../p/<token>

    tokens = list(await asyncio.gather(*(attendee(n) for n in range(tablets))))
    await call(http, "POST", f"{api}/meetings/{meeting_id}/live/start", token=token)
    return meeting_id, token, tokens


async def prepare_ecabinet(
    http: aiohttp.ClientSession, opts: Options, checkout: Path, instance: Path
) -> Prepared:
    port = free_port()
    env = ecabinet_env(checkout, instance, opts.async_mode, port)
    await asyncio.to_thread(prepare_database, checkout, env)
    command = [sys.executable, "-m", "ecabinet", "serve", "--host", HOST, "--port", str(port)]
    server = ServerProcess(command, checkout, env, instance)
    server.start()
    url = f"http://{HOST}:{port}"
    try:
        await server.wait_healthy(http, url, timeout=30)
        meeting_id, chair, tokens = await seed_ecabinet(
            http, url, opts, opts.warmup_tablets + opts.clients
        )
    except BaseException:
        server.stop()
        raise
    return Prepared(
        server=server,
        url=url,
        meeting_id=meeting_id,
        warmup_tokens=tokens[: opts.warmup_tablets],
        tokens=tokens[opts.warmup_tablets :],
        control_base=f"{url}/api/v1/meetings/{meeting_id}/live",
        chair_headers={"Authorization": f"Bearer {chair}"},
    )


def bare_state(meeting_id: int, items: int) -> dict[str, Any]:
    """The bare server's state: ecabinet's MeetingState shape and content (docs/realtime.md)."""
    return {
        "meeting_id": meeting_id,
        "version": 1,
        "title": MEETING_TITLE,
        "location": MEETING_LOCATION,
        "starts_at": None,
        "status": "live",
        "current_item_id": 1,
        "paused": False,
        "timer": {"item_id": 1, "spent_seconds": 0, "running_since": 0, "planned_seconds": 900},
        "announcement": "",
        "presenting": None,
        "items": [
            {
                "id": n + 1,
                "parent_id": None,
                "position": n,
                "number": ROMAN[n] if n < len(ROMAN) else str(n + 1),
                "label": ROMAN[n] if n < len(ROMAN) else str(n + 1),
                **agenda_item(n),
                "spent_seconds": 0,
            }
            for n in range(items)
        ],
        "documents": [],
        "server_time": 0,
    }


# Top-level item numbers as ecabinet prints them (agenda/numbering.py), for the bare state.
ROMAN = [
    "I",
    "II",
    "III",
    "IV",
    "V",
    "VI",
    "VII",
    "VIII",
    "IX",
    "X",
    "XI",
    "XII",
    "XIII",
    "XIV",
    "XV",
    "XVI",
    "XVII",
    "XVIII",
    "XIX",
    "XX",
]


async def prepare_bare(http: aiohttp.ClientSession, opts: Options, instance: Path) -> Prepared:
    meeting_id = 1
    tokens = [secrets.token_urlsafe(32) for _ in range(opts.warmup_tablets + opts.clients)]
    chair = secrets.token_urlsafe(32)
    config_path = instance / "bare.json"
    config = {
        "meeting_id": meeting_id,
        "tablet_tokens": tokens,
        "chair_tokens": [chair],
        "state": bare_state(meeting_id, opts.items),
    }
    config_path.write_text(json.dumps(config, ensure_ascii=False))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECABINET_")}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    command = [
        sys.executable,
        str(BENCH_DIR / "bare_server.py"),
        "--config",
        str(config_path),
        "--host",
        HOST,
        "--port",
        str(port),
    ]
    server = ServerProcess(command, REPO_ROOT, env, instance)
    server.start()
    url = f"http://{HOST}:{port}"
    try:
        await server.wait_healthy(http, url, timeout=30)
    except BaseException:
        server.stop()
        raise
    return Prepared(
        server=server,
        url=url,
        meeting_id=meeting_id,
        warmup_tokens=tokens[: opts.warmup_tablets],
        tokens=tokens[opts.warmup_tablets :],
        control_base=url,
        chair_headers={"Authorization": f"Bearer {chair}"},
    )


# --------------------------------------------------------------------------- one run


@dataclass
class Control:
    action: str
    version: int
    http_ms: float  # POST sent → answer read
    server_cpu_ms: float  # server user+system from before the POST to the last push received
    received: int
    first_ms: float | None  # POST sent → first tablet has the push
    last_ms: float | None  # POST sent → last tablet has the push (None if some missed it)


@dataclass
class Run:
    target: str
    kind: Kind
    repetition: int
    checkout: CheckoutInfo | None
    diff_fingerprint: str  # sha256 of `git status --porcelain` + `git diff HEAD` of ecabinet/
    clients: int
    connected: int = 0
    failures: list[str] = field(default_factory=list)  # joins refused, controls failed, setup
    join_seconds: float = float("nan")
    join_cpu_ms: float = float("nan")
    join_cpu_ms_per_tablet: float = float("nan")
    idle_cpu_ms_per_s: float = float("nan")
    rss_joined_mb: float = float("nan")
    push_bytes: int = 0
    missed_pushes: int = 0
    controls: list[Control] = field(default_factory=list)
    control_phase_cpu_ms: float = float("nan")  # the whole measured phase, pauses included
    control_phase_seconds: float = float("nan")
    speed_probe_ms: list[float] = field(default_factory=list)  # before/after each timed phase
    server_log_errors: int = 0
    server_log_sample: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures and self.connected == self.clients and not self.missed_pushes

    def http_ms(self) -> list[float]:
        return [c.http_ms for c in self.controls]

    def cpu_ms_per_control(self) -> float:
        if not self.controls:
            return float("nan")
        return sum(c.server_cpu_ms for c in self.controls) / len(self.controls)


async def control(
    chair: Chair, arrivals: Arrivals, server: ServerProcess, timeout: float
) -> Control:
    action = chair.next_action()
    cpu_before = server.cpu_seconds()
    started = time.perf_counter()
    version, http_ms = await chair.post(action)
    times = await arrivals.wait_all(version, timeout)
    cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
    complete = len(times) >= arrivals.expected
    return Control(
        action=action,
        version=version,
        http_ms=http_ms,
        server_cpu_ms=cpu_ms,
        received=len(times),
        first_ms=(min(times) - started) * 1000 if times else None,
        last_ms=(max(times) - started) * 1000 if complete and times else None,
    )


def speed_probe() -> float:
    """CPU ms this process spends on a fixed pure-Python loop: how fast the machine is right now.

    On a shared virtual machine the same work can take 1.7× longer from one second to the next
    (the reference box flips between about 20 and 33 ms here); the probe runs just before and
    after each timed phase, outside it, so a slow repetition can be told from a slow server."""
    started = time.process_time()
    counts: dict[int, int] = {}
    for i in range(200_000):
        counts[i % 1000] = counts.get(i % 1000, 0) + i
    return (time.process_time() - started) * 1000


async def measure(
    opts: Options,
    prepared: Prepared,
    http: aiohttp.ClientSession,
    sockets: aiohttp.ClientSession,
    run: Run,
) -> None:
    server, url, meeting_id = prepared.server, prepared.url, prepared.meeting_id
    arrivals = Arrivals()
    if prepared.warmup_tokens:  # first-use costs (connections, lazy imports) off the clock
        warm = await connect_all(
            "raw",
            sockets,
            arrivals,
            url=url,
            tokens=prepared.warmup_tokens,
            meeting_id=meeting_id,
            concurrency=opts.handshakes,
            timeout=opts.timeout,
        )
        run.failures += [f"warm-up tablet: {f}" for f in warm.failures]
        await close_all(warm.clients, opts.handshakes)
        await asyncio.sleep(0.5)

    gc.collect()
    gc.freeze()  # the load generator's own collections stay out of the timed phases
    try:
        cpu_idle, idle_start = server.cpu_seconds(), time.perf_counter()
        await asyncio.sleep(opts.idle)
        run.idle_cpu_ms_per_s = (
            (server.cpu_seconds() - cpu_idle) * 1000 / (time.perf_counter() - idle_start)
        )

        # 1. Joins: N tablets connect (auth token) and send meeting:join, each waits its ack.
        run.speed_probe_ms.append(speed_probe())
        cpu_before = server.cpu_seconds()
        connected = await connect_all(
            "raw",
            sockets,
            arrivals,
            url=url,
            tokens=prepared.tokens,
            meeting_id=meeting_id,
            concurrency=opts.handshakes,
            timeout=opts.timeout,
        )
        run.join_cpu_ms = (server.cpu_seconds() - cpu_before) * 1000
        run.speed_probe_ms.append(speed_probe())
        run.join_seconds = connected.seconds
        run.connected = len(connected.clients)
        run.join_cpu_ms_per_tablet = run.join_cpu_ms / opts.clients
        run.failures += sorted(set(connected.failures))[:5]
        arrivals.expected = run.connected
        await asyncio.sleep(0.5)
        run.rss_joined_mb = server.rss_mb()

        # 2. Chair controls over HTTP, the N tablets receiving each push.
        chair = Chair(http, url, meeting_id, opts.items)
        chair.base = prepared.control_base
        chair.headers = prepared.chair_headers
        try:
            for _ in range(opts.warmup_rounds):
                await control(chair, arrivals, server, opts.timeout)
                await asyncio.sleep(opts.pause)
            run.speed_probe_ms.append(speed_probe())
            phase_cpu, phase_start = server.cpu_seconds(), time.perf_counter()
            for _ in range(opts.rounds):
                done = await control(chair, arrivals, server, opts.timeout)
                run.controls.append(done)
                run.missed_pushes += max(0, arrivals.expected - done.received)
                await asyncio.sleep(opts.pause)
            run.control_phase_cpu_ms = (server.cpu_seconds() - phase_cpu) * 1000
            run.control_phase_seconds = time.perf_counter() - phase_start
            run.speed_probe_ms.append(speed_probe())
        except (RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
            run.failures.append(f"control failed: {type(exc).__name__}: {exc}"[:300])
        run.push_bytes = arrivals.payload_bytes
        await close_all(connected.clients, opts.handshakes)
    finally:
        gc.unfreeze()


def fingerprint(checkout: Path) -> str:
    """A short hash of the uncommitted changes under ecabinet/ (the server's code), so runs of a
    tree that moved can be told apart; "" when ecabinet/ is as committed."""
    parts = []
    for args in (["status", "--porcelain"], ["diff", "HEAD"]):
        done = subprocess.run(
            ["git", "-C", str(checkout), *args, "--", "ecabinet"], capture_output=True, check=False
        )
        parts.append(done.stdout)
    return hashlib.sha256(b"\0".join(parts)).hexdigest()[:10] if any(parts) else ""


async def run_one(opts: Options, target: Target, repetition: int, instance: Path) -> Run:
    info: CheckoutInfo | None = None
    diff = ""
    if target.checkout is not None:
        env = ecabinet_env(target.checkout, instance, opts.async_mode, 0)
        info = describe_checkout(target.checkout, env)
        diff = fingerprint(target.checkout)
    run = Run(
        target=target.name,
        kind=target.kind,
        repetition=repetition,
        checkout=info,
        diff_fingerprint=diff,
        clients=opts.clients,
    )
    where = f" ({info.label}; ecabinet from {info.ecabinet_module})" if info else ""
    print(f"[{repetition}] {target.name}{where}", flush=True)
    timeout = aiohttp.ClientTimeout(total=60)
    async with (
        aiohttp.ClientSession(timeout=timeout) as http,
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as sockets,
    ):
        started = time.perf_counter()
        try:
            if target.checkout is not None:
                prepared = await prepare_ecabinet(http, opts, target.checkout, instance)
            else:
                prepared = await prepare_bare(http, opts, instance)
        except (RuntimeError, aiohttp.ClientError, TimeoutError) as exc:
            run.failures.append(f"setup failed: {exc}"[:2000])
            print(f"  setup failed: {exc}", flush=True)
            return run
        print(f"  ready in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            await measure(opts, prepared, http, sockets, run)
        finally:
            prepared.server.stop()
    errors = [
        line[:300]
        for line in prepared.server.log_lines()
        if "Traceback" in line or "ERROR" in line or "CRITICAL" in line
    ]
    run.server_log_errors, run.server_log_sample = len(errors), errors[:5]
    print(f"  {run_line(run)}", flush=True)
    return run


def run_line(run: Run) -> str:
    https = run.http_ms()
    text = (
        f"joined {run.connected}/{run.clients} in {run.join_seconds:.2f} s, "
        f"{run.join_cpu_ms_per_tablet:.2f} ms CPU/tablet; "
        f"{len(run.controls)} controls: HTTP p50 {percentile(https, 50):.1f} ms, "
        f"p90 {percentile(https, 90):.1f} ms, {run.cpu_ms_per_control():.1f} ms CPU/control; "
        f"push {run.push_bytes} B; idle {run.idle_cpu_ms_per_s:.1f} ms CPU/s; speed probe "
        + "/".join(f"{ms:.0f}" for ms in run.speed_probe_ms)
        + " ms"
    )
    if run.missed_pushes:
        text += f"; {run.missed_pushes} pushes missed"
    if run.failures:
        text += "; failures: " + "; ".join(run.failures)
    if run.server_log_errors:
        text += f"; {run.server_log_errors} error lines in the server log"
    return text


# --------------------------------------------------------------------------- summary


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


@dataclass
class Summary:
    target: str
    kind: Kind
    labels: list[str]  # the checkout's HEAD and changes, as seen at each repetition
    runs: int
    failed_runs: int
    join_cpu_ms_per_tablet: float  # median over repetitions
    join_seconds: float  # median over repetitions
    control_p50_ms: float  # over every measured control of every repetition
    control_p90_ms: float
    cpu_ms_per_control: float  # median over repetitions of (sum of per-control CPU) / R
    cpu_ms_per_control_phase: float  # median over repetitions, pauses included
    first_push_p50_ms: float  # POST sent → first tablet has the push, over every control
    last_push_p50_ms: float  # POST sent → last tablet has the push, over every control
    last_push_p99_ms: float
    last_push_max_ms: float
    idle_cpu_ms_per_s: float
    rss_joined_mb: float
    push_bytes: int
    speed_probe_ms: tuple[float, float]  # fastest and slowest probe over the repetitions
    ratio_to_bare: float | None = None  # control p50 ÷ the bare server's
    push_ratio_to_bare: float | None = None  # last push p50 ÷ the bare server's (issue 11)


def summarize(target: Target, runs: Sequence[Run]) -> Summary:
    https = [ms for r in runs for ms in r.http_ms()]
    lasts = [c.last_ms for r in runs for c in r.controls if c.last_ms is not None]
    firsts = [c.first_ms for r in runs for c in r.controls if c.first_ms is not None]
    probes = [ms for r in runs for ms in r.speed_probe_ms]
    labels: list[str] = []
    for r in runs:
        if r.checkout is not None:
            label = r.checkout.label
            if r.checkout.dirty_files:
                changed = f"ecabinet/ diff {r.diff_fingerprint}" if r.diff_fingerprint else ""
                label += f" ({changed or 'none under ecabinet/'})"
            if label not in labels:
                labels.append(label)
    measured = [r for r in runs if r.connected]
    controlled = [r for r in runs if r.controls]
    return Summary(
        target=target.name,
        kind=target.kind,
        labels=labels,
        runs=len(runs),
        failed_runs=sum(1 for r in runs if not r.ok),
        join_cpu_ms_per_tablet=_median([r.join_cpu_ms_per_tablet for r in measured]),
        join_seconds=_median([r.join_seconds for r in measured]),
        control_p50_ms=percentile(https, 50),
        control_p90_ms=percentile(https, 90),
        cpu_ms_per_control=_median([r.cpu_ms_per_control() for r in controlled]),
        cpu_ms_per_control_phase=_median(
            [r.control_phase_cpu_ms / len(r.controls) for r in controlled]
        ),
        first_push_p50_ms=percentile(firsts, 50),
        last_push_p50_ms=percentile(lasts, 50),
        last_push_p99_ms=percentile(lasts, 99),
        last_push_max_ms=max(lasts, default=float("nan")),
        idle_cpu_ms_per_s=_median([r.idle_cpu_ms_per_s for r in measured]),
        rss_joined_mb=_median([r.rss_joined_mb for r in measured]),
        push_bytes=max((r.push_bytes for r in runs), default=0),
        speed_probe_ms=(min(probes, default=float("nan")), max(probes, default=float("nan"))),
    )


def add_ratios(summaries: Sequence[Summary]) -> None:
    bare = next((s for s in summaries if s.kind == "bare"), None)
    if bare is None or not bare.control_p50_ms > 0:
        return
    for s in summaries:
        s.ratio_to_bare = s.control_p50_ms / bare.control_p50_ms
        if bare.last_push_p50_ms > 0:
            s.push_ratio_to_bare = s.last_push_p50_ms / bare.last_push_p50_ms


def server_label(s: Summary) -> str:
    if s.kind == "bare":
        return s.target
    return f"`{s.target}` " + " → ".join(s.labels)


def _fmt(value: float | None, spec: str) -> str:
    if value is None or value != value:  # None or NaN
        return "—"
    return format(value, spec)


HEADER = (
    "server",
    "join CPU ms/tablet",
    "connect+join s",
    "control p50 ms",
    "control p90 ms",
    "srv CPU ms/control",
    "p50 ÷ bare",
    "last push p50 ms",
    "last push p99 ms",
    "last push max ms",
    "last push ÷ bare",
    "push B",
    "failed runs",
)


def table(summaries: Sequence[Summary]) -> str:
    rows = [
        [
            server_label(s),
            _fmt(s.join_cpu_ms_per_tablet, ".2f"),
            _fmt(s.join_seconds, ".2f"),
            _fmt(s.control_p50_ms, ".1f"),
            _fmt(s.control_p90_ms, ".1f"),
            _fmt(s.cpu_ms_per_control, ".1f"),
            _fmt(s.ratio_to_bare, ".2f") + ("×" if s.ratio_to_bare is not None else ""),
            _fmt(s.last_push_p50_ms, ".1f"),
            _fmt(s.last_push_p99_ms, ".1f"),
            _fmt(s.last_push_max_ms, ".1f"),
            _fmt(s.push_ratio_to_bare, ".2f") + ("×" if s.push_ratio_to_bare is not None else ""),
            str(s.push_bytes),
            f"{s.failed_runs}/{s.runs}",
        ]
        for s in summaries
    ]
    header = "| " + " | ".join(HEADER) + " |"
    rule = "|" + "|".join("-" * (len(title) + 2) for title in HEADER) + "|"
    return "\n".join([header, rule, *("| " + " | ".join(row) + " |" for row in rows)])


def verdicts(summaries: Sequence[Summary]) -> list[str]:
    lines = []
    for s in summaries:
        if s.kind != "ecabinet":
            continue
        join = s.join_cpu_ms_per_tablet
        met = "met" if join <= JOIN_TARGET_MS else "NOT met"
        lines.append(
            f"`{s.target}` ({' → '.join(s.labels)}): join {_fmt(join, '.2f')} ms server CPU per "
            f"tablet, target ≤ {JOIN_TARGET_MS} ms: {met}"
        )
        if s.ratio_to_bare is None:
            lines.append(f"`{s.target}`: control answer ratio not measured (no bare figures)")
            continue
        met = "met" if s.ratio_to_bare <= CONTROL_RATIO_TARGET else "NOT met"
        lines.append(
            f"`{s.target}`: control answer p50 {s.control_p50_ms:.1f} ms = "
            f"{s.ratio_to_bare:.2f}× the bare server's, target ≤ {CONTROL_RATIO_TARGET:g}×: {met}"
        )
        if s.push_ratio_to_bare is not None:
            met = "met" if s.push_ratio_to_bare <= PUSH_RATIO_TARGET else "NOT met"
            lines.append(
                f"`{s.target}`: chair click → last tablet p50 {s.last_push_p50_ms:.1f} ms = "
                f"{s.push_ratio_to_bare:.2f}× the bare server's, target ≤ "
                f"{PUSH_RATIO_TARGET:g}× (at N = 1,000): {met}"
            )
    return lines


def details(s: Summary, runs: Sequence[Run]) -> str:
    joins = ", ".join(_fmt(r.join_cpu_ms_per_tablet, ".2f") for r in runs if r.target == s.target)
    return (
        f"{server_label(s)}: join CPU ms/tablet by repetition {joins}; first tablet has the "
        f"push p50 {_fmt(s.first_push_p50_ms, '.1f')} ms; server CPU per control with pauses "
        f"{_fmt(s.cpu_ms_per_control_phase, '.1f')} ms; idle server CPU before the joins "
        f"{_fmt(s.idle_cpu_ms_per_s, '.1f')} ms/s; RSS with N joined "
        f"{_fmt(s.rss_joined_mb, '.0f')} MB; speed probe around the timed phases "
        f"{_fmt(s.speed_probe_ms[0], '.0f')}–{_fmt(s.speed_probe_ms[1], '.0f')} ms"
    )


# --------------------------------------------------------------------------- reporting


def package_versions() -> dict[str, str]:
    versions: dict[str, str] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def markdown_section(
    opts: Options,
    machine: dict[str, Any],
    summaries: Sequence[Summary],
    runs: Sequence[Run],
    stamp: datetime,
    raw_path: Path,
) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    try:
        raw = raw_path.relative_to(REPO_ROOT)
    except ValueError:
        raw = raw_path
    failures = [
        f"- run {r.repetition} of {r.target}: {'; '.join(r.failures) or 'pushes missed'}"
        for r in runs
        if not r.ok
    ]
    lines = [
        f"## {stamp:%Y-%m-%d %H:%M} UTC — join and control cost, async mode {opts.async_mode}",
        "",
        f"- Machine: {machine['cpu_model']}, {machine['cores']} cores **shared by the servers "
        f"and the load generator**, {machine['memory_gib']} GiB RAM, Linux "
        f"{machine['kernel']}, Python {machine['python']}; load average (1 min) "
        f"{machine['load_average_start']} at the start, {machine['load_average_end']} at the end",
        f"- Packages: {packages}",
        f"- Async mode: ecabinet {opts.async_mode}, the bare server (bench/bare_server.py) "
        f"eventlet; N = {opts.clients} tablets (raw websocket client, {opts.handshakes} "
        f"handshakes in flight) after {opts.warmup_tablets} warm-up tablets; R = {opts.rounds} "
        f"controls after {opts.warmup_rounds} warm-up, {opts.pause:.1f} s apart; "
        f"{opts.items}-item agenda; {opts.repeat} repetition(s), each on fresh servers, "
        "every server in turn",
        "- Checkouts: "
        + "; ".join(
            f"`{s.target}` at {' → '.join(s.labels)}"
            + (" (this repository)" if s.target == str(REPO_ROOT) else "")
            for s in summaries
            if s.kind == "ecabinet"
        ),
        f"- Raw figures: `{raw}`",
        "",
        table(summaries),
        "",
        *[f"- {details(s, runs)}" for s in summaries],
        *failures,
        "",
        *[f"- {line}" for line in verdicts(summaries)],
        "",
    ]
    return "\n".join(lines)


def write_results(
    opts: Options,
    machine: dict[str, Any],
    summaries: Sequence[Summary],
    runs: Sequence[Run],
) -> Path:
    stamp = datetime.now(UTC)
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    raw_path = opts.results_dir / f"join-control-{stamp:%Y%m%dT%H%M%SZ}.json"
    options = {k: v for k, v in asdict(opts).items() if k not in ("results_md", "results_dir")}
    options["checkouts"] = [str(c) for c in opts.checkouts]
    payload = {
        "timestamp": stamp.isoformat(timespec="seconds"),
        "options": options,
        "targets": {
            "join_cpu_ms_per_tablet": JOIN_TARGET_MS,
            "control_ratio": CONTROL_RATIO_TARGET,
        },
        "machine": machine,
        "summaries": [asdict(s) for s in summaries],
        "runs": [asdict(r) for r in runs],
    }
    raw_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    if not opts.results_md.exists():
        opts.results_md.write_text(
            "# Benchmark results\n\nSee bench/README.md for the columns. Newest section last.\n\n"
        )
    separator = "" if opts.results_md.read_text().endswith("\n\n") else "\n"
    section = markdown_section(opts, machine, summaries, runs, stamp, raw_path)
    with opts.results_md.open("a") as md:
        md.write(separator + section + "\n")
    return raw_path


# --------------------------------------------------------------------------- main


@contextlib.contextmanager
def instance_dir(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="ecabinet-join-control-"))
        print(f"  instance dir kept: {path}")
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="ecabinet-join-control-") as name:
            yield Path(name)


async def run_all(opts: Options, targets: Sequence[Target]) -> list[Run]:
    runs = []
    for repetition in range(1, opts.repeat + 1):
        for target in targets:  # interleaved: noise falls on every server alike
            with instance_dir(opts.keep_tmp) as instance:
                runs.append(await run_one(opts, target, repetition, instance))
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    raise_fd_limit((opts.clients + opts.warmup_tablets) * 2 + 256)
    targets = [Target("ecabinet", c) for c in opts.checkouts]
    if opts.bare:
        targets.append(Target("bare", None))
    if opts.bare and opts.async_mode != "eventlet":
        print(f"note: ecabinet runs {opts.async_mode}, the bare server eventlet", flush=True)
    machine = machine_info()
    machine["packages"] = package_versions()
    machine["load_average_start"] = round(os.getloadavg()[0], 2)
    runs = asyncio.run(run_all(opts, targets))
    machine["load_average_end"] = round(os.getloadavg()[0], 2)
    summaries = [summarize(t, [r for r in runs if r.target == t.name]) for t in targets]
    add_ratios(summaries)
    raw_path = write_results(opts, machine, summaries, runs)
    print()
    print(table(summaries))
    print()
    for line in verdicts(summaries):
        print(line)
    print(f"\nAppended to {opts.results_md}; raw figures in {raw_path}")
    return 0 if all(r.ok for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
