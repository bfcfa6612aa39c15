"""Upload-stall benchmark: how long one PDF upload keeps the server's hub from serving anyone else.

Under eventlet (the default) every request and every Socket.IO push shares one OS thread: while
an upload handler does CPU work without yielding (multipart parsing, hashing, a PDF parser,
SQLite), every other client waits. For each checkout given, this starts the real server
(`python -m ecabinet serve`) from that directory on a fresh SQLite database, uploads benign and
crafted PDFs (tests/hostile_pdfs.py) through the API, and meanwhile a probe thread in this
process sends `GET /healthz` back to back on one keep-alive connection. The stall of an upload is
the longest probe round trip that overlaps it. Target: no upload stalls the hub > 100 ms.
See bench/README.md ("Upload stall") for what each column means and the caveats.

Run: .venv/bin/python bench/upload_stall.py [--checkout DIR ...] [--repeat 5]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil
from fanout import free_port, machine_info  # bench/ is sys.path[0] when run as a script

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
USERNAME = "bench"
PASSWORD = "mat-khau-do-tai-upload"  # noqa: S105  (a throwaway account in a throwaway database)
PACKAGES = ("flask", "werkzeug", "eventlet", "flask-socketio", "pypdf", "sqlalchemy", "reportlab")
MAX_DOCUMENTS_PER_MEETING = 300  # ecabinet.documents.service.MAX_DOCUMENTS_PER_MEETING
HOST = "127.0.0.1"


# --------------------------------------------------------------------------- test files


@dataclass(frozen=True)
class PdfFile:
    name: str
    kind: str  # "benign", "benign, large" or "hostile"
    data: bytes


def _normal_paragraphs(count: int) -> list[str]:
    sentence = (
        "Tình hình kinh tế - xã hội của xã trong quý cơ bản ổn định, các chỉ tiêu chủ yếu "
        "đạt và vượt kế hoạch đề ra; công tác quốc phòng, an ninh được giữ vững. "
    )
    return [f"{n + 1}. {sentence * 4}" for n in range(count)]


def text_report(paragraphs: int) -> bytes:
    """A normal text document made by the project's own generator (reportlab, Be Vietnam Pro)."""
    from ecabinet.documents.pdf import text_pdf

    return text_pdf("Báo cáo tình hình kinh tế - xã hội", _normal_paragraphs(paragraphs))


def scanned_report(pages: int = 6) -> bytes:
    """A scan-like PDF: one distinct 150-dpi A4 JPEG of noise per page (~1.3 MB a page).

    Noise does not compress, so the file is as large as a real scan of that many pages; every
    page gets its own image because reportlab stores identical images once.
    """
    from PIL import Image
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    width, height = 1240, 1754
    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4)
    for _ in range(pages):
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
        jpeg = io.BytesIO()
        image.save(jpeg, "JPEG", quality=75)
        jpeg.seek(0)
        pdf.drawImage(ImageReader(jpeg), 0, 0, *A4)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def file_builders() -> dict[str, tuple[str, Callable[[], bytes]]]:
    """name -> (kind, builder): benign files first, then every entry of tests/hostile_pdfs.py."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from tests.hostile_pdfs import HOSTILE

    builders: dict[str, tuple[str, Callable[[], bytes]]] = {
        "normal": ("benign", lambda: text_report(200)),
        "long-report": ("benign", lambda: text_report(2000)),
        "scan-8mb": ("benign, large", scanned_report),
    }
    builders.update({name: ("hostile", build) for name, build in HOSTILE.items()})
    return builders


WARMUP_FILE = "normal"


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class Options:
    checkouts: list[Path]
    files: list[str]
    repeat: int
    pause: float
    idle: float
    upload_timeout: float
    async_mode: str
    target_ms: float
    server_memory_mb: int
    results_md: Path
    results_dir: Path
    keep_tmp: bool


def parse_args(argv: Sequence[str] | None = None) -> Options:
    names = list(file_builders())
    parser = argparse.ArgumentParser(
        prog="bench/upload_stall.py",
        description=(
            "Upload benign and crafted PDFs to the real server of each checkout while a probe "
            "sends GET /healthz back to back; report how long each upload stalled the probe. "
            "Appends the tables to bench/RESULTS.md and raw figures to bench/results/."
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
        "--files",
        default="all",
        help=f"comma-separated files to upload, or 'all': {', '.join(names)}",
    )
    parser.add_argument("--repeat", type=int, default=5, help="measured uploads per file")
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between uploads")
    parser.add_argument(
        "--idle",
        type=float,
        default=2.0,
        help="seconds of probing with no upload, for the idle baseline",
    )
    parser.add_argument(
        "--upload-timeout",
        type=float,
        default=60.0,
        help="seconds without an answer before an upload counts as hung (the server is then "
        "restarted and that file's remaining repeats skipped)",
    )
    parser.add_argument(
        "--async-mode",
        choices=["eventlet", "gevent", "threading"],
        default="eventlet",
        help="the server's ECABINET_ASYNC_MODE",
    )
    parser.add_argument("--target-ms", type=float, default=100.0, help="the stall target")
    parser.add_argument(
        "--server-memory-mb",
        type=int,
        default=4096,
        help="kill the server (and its children) if their RSS goes above this",
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
    files = [part.strip() for part in str(args.files).split(",") if part.strip()]
    files = names if files == ["all"] else files
    unknown = [name for name in files if name not in names]
    if unknown or not files:
        parser.error(f"--files: unknown {', '.join(unknown) or '(none given)'}")
    checkouts = [Path(d).resolve() for d in (args.checkout or [REPO_ROOT])]
    for checkout in checkouts:
        if not (checkout / "ecabinet" / "__main__.py").is_file():
            parser.error(f"--checkout {checkout}: not an ecabinet checkout")
    if args.repeat < 1 or args.pause < 0 or args.idle <= 0 or args.upload_timeout <= 0:
        parser.error("--repeat >= 1, --pause >= 0, --idle > 0, --upload-timeout > 0")
    return Options(
        checkouts=checkouts,
        files=files,
        repeat=args.repeat,
        pause=args.pause,
        idle=args.idle,
        upload_timeout=args.upload_timeout,
        async_mode=args.async_mode,
        target_ms=args.target_ms,
        server_memory_mb=args.server_memory_mb,
        results_md=args.results_md,
        results_dir=args.results_dir,
        keep_tmp=args.keep_tmp,
    )


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class CheckoutInfo:
    path: str
    rev: str
    dirty_files: int  # uncommitted changes (git status --porcelain lines)
    ecabinet_module: str  # where `import ecabinet` resolves with the server's env and cwd

    @property
    def label(self) -> str:
        suffix = f" + uncommitted changes in {self.dirty_files} files" if self.dirty_files else ""
        return f"{self.rev}{suffix}"


def _git(checkout: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(checkout), *args], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else "?"


def describe_checkout(checkout: Path, env: dict[str, str]) -> CheckoutInfo:
    status = _git(checkout, "status", "--porcelain")
    module = subprocess.run(
        [sys.executable, "-c", "import ecabinet; print(ecabinet.__file__)"],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return CheckoutInfo(
        path=str(checkout),
        rev=_git(checkout, "rev-parse", "--short", "HEAD"),
        dirty_files=0 if status in ("", "?") else len(status.splitlines()),
        ecabinet_module=module,
    )


def server_env(checkout: Path, instance: Path, async_mode: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECABINET_")}
    env.update(
        {
            "PYTHONPATH": str(checkout),
            "ECABINET_INSTANCE_PATH": str(instance),
            "ECABINET_DATABASE_URL": f"sqlite:///{instance / 'b.db'}",
            "ECABINET_STORAGE_DIR": str(instance / "storage"),
            "ECABINET_ASYNC_MODE": async_mode,
            "ECABINET_LOG_LEVEL": "WARNING",
            # Only the sign-in is rate limited on this path; restarts sign in again.
            "ECABINET_LOGIN_RATE_LIMIT": "1000 per minute",
            "PYTHONWARNINGS": "ignore::DeprecationWarning",
        }
    )
    return env


def prepare_database(checkout: Path, env: dict[str, str]) -> None:
    """`ecabinet db upgrade` and `ecabinet create-user bench --role admin --password-stdin`."""
    commands: list[tuple[list[str], str | None]] = [
        (["db", "upgrade"], None),
        (["create-user", USERNAME, "--role", "admin", "--password-stdin"], PASSWORD + "\n"),
    ]
    for args, stdin in commands:
        done = subprocess.run(
            [sys.executable, "-m", "ecabinet", *args],
            cwd=checkout,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"`ecabinet {' '.join(args)}` in {checkout} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}"
            )


class Server:
    """`python -m ecabinet serve` from one checkout, logging to <instance>/server.log.

    A guard thread kills it (and the PDF-check children) if their RSS passes the cap, so a
    checkout whose parser allocates without bound cannot take the machine down with it."""

    def __init__(self, checkout: Path, env: dict[str, str], instance: Path, rss_cap_mb: int):
        self.checkout = checkout
        self.env = env
        self.rss_cap = rss_cap_mb * 2**20
        self.port = free_port()
        self.log_path = instance / "server.log"
        self.killed_reason = ""
        self.peak_rss = 0
        self._popen: subprocess.Popen[bytes] | None = None
        self._process: psutil.Process | None = None
        self._stop = threading.Event()
        self._guard: threading.Thread | None = None

    def start(self, timeout: float = 30.0) -> None:
        command = [sys.executable, "-m", "ecabinet", "serve", "--host", HOST]
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                [*command, "--port", str(self.port)],
                cwd=self.checkout,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._process = psutil.Process(self._popen.pid)
        self._stop.clear()
        self._guard = threading.Thread(target=self._guard_memory, daemon=True)
        self._guard.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive():
                raise RuntimeError(f"server in {self.checkout} exited early:\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                status, _ = request(self.port, "GET", "/healthz", timeout=2.0)
                if status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"server in {self.checkout} not healthy after {timeout:.0f} s")

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def exit_code(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def _rss(self) -> int:
        assert self._process is not None
        total = 0
        with contextlib.suppress(psutil.Error):
            total += self._process.memory_info().rss
            for child in self._process.children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    total += child.memory_info().rss
        return total

    def _guard_memory(self) -> None:
        while not self._stop.wait(0.1):
            if not self.alive():
                return
            rss = self._rss()
            self.peak_rss = max(self.peak_rss, rss)
            if rss > self.rss_cap:
                self.killed_reason = f"RSS {rss / 2**20:.0f} MB > cap"
                self.kill()
                return

    def cpu_seconds(self) -> tuple[float, float]:
        """(server user+system, waited-for children user+system), in seconds."""
        assert self._process is not None
        try:
            t = self._process.cpu_times()
        except psutil.Error:
            return (float("nan"), float("nan"))
        return (t.user + t.system, t.children_user + t.children_system)

    def kill(self) -> None:
        if self._process is not None:
            with contextlib.suppress(psutil.Error):
                for child in self._process.children(recursive=True):
                    with contextlib.suppress(psutil.Error):
                        child.kill()
        if self.alive():
            assert self._popen is not None
            self._popen.kill()
            self._popen.wait(timeout=10)

    def stop(self) -> None:
        self._stop.set()
        if self.alive():
            assert self._popen is not None
            self._popen.send_signal(signal.SIGTERM)
            try:
                self._popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._guard is not None:
            self._guard.join(timeout=5)

    def log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_lines()[-lines:])


# --------------------------------------------------------------------------- HTTP


def request(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> tuple[int, Any]:
    """One request on a fresh connection; returns (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    try:
        payload: Any = json.loads(raw) if raw else None
    except ValueError:
        payload = None
    return response.status, payload


def multipart(fields: dict[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with `fields` and the PDF as part `file`; (body, type)."""
    boundary = f"ecabinet-bench-{secrets.token_hex(12)}"
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
    ).encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


class Api:
    """The bench account's bearer token and a meeting with room for more documents."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.token = ""
        self.meeting_id = 0
        self.documents = 0
        self.meetings = 0

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}

    def sign_in(self) -> None:
        body = json.dumps({"username": USERNAME, "password": PASSWORD}).encode()
        status, payload = request(
            self.server.port,
            "POST",
            "/api/v1/auth/tokens",
            body=body,
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if status != 201 or not isinstance(payload, dict):
            raise RuntimeError(f"sign-in failed: {status} {payload}")
        self.token = str(payload["token"])

    def new_meeting(self) -> None:
        self.meetings += 1
        body = json.dumps({"title": f"Đo thời gian chặn khi tải lên ({self.meetings})"}).encode()
        status, payload = request(
            self.server.port,
            "POST",
            "/api/v1/meetings",
            body=body,
            headers={**self._headers(), "Content-Type": "application/json"},
        )
        if status != 201 or not isinstance(payload, dict):
            raise RuntimeError(f"creating a meeting failed: {status} {payload}")
        self.meeting_id = int(payload["id"])
        self.documents = 0

    def upload(self, body: bytes, content_type: str, timeout: float) -> tuple[int, Any]:
        if not self.meeting_id or self.documents >= MAX_DOCUMENTS_PER_MEETING:
            self.new_meeting()
        status, payload = request(
            self.server.port,
            "POST",
            f"/api/v1/meetings/{self.meeting_id}/documents",
            body=body,
            headers={**self._headers(), "Content-Type": content_type},
            timeout=timeout,
        )
        if status == 201:
            self.documents += 1
        return status, payload

    def document(self, document_id: int, timeout: float) -> tuple[int, Any]:
        return request(
            self.server.port,
            "GET",
            f"/api/v1/documents/{document_id}",
            headers=self._headers(),
            timeout=timeout,
        )

    def wait_checked(self, payload: Any, deadline: float) -> Any:
        """Since the check became a job (after the answer), poll until the document is no
        longer processing. Old code answers with the final document at once."""
        while (
            isinstance(payload, dict)
            and payload.get("status") == "processing"
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)
            status, fresh = self.document(int(payload["id"]), timeout=10)
            if status == 200:
                payload = fresh
        return payload


# --------------------------------------------------------------------------- probe


class Probe:
    """`GET /healthz` back to back on one keep-alive connection, in its own thread.

    Records (start, end, ok) in monotonic seconds. A failed request (server killed or hung)
    ends its sample at the failure and reconnects."""

    def __init__(self, port: int, timeout: float) -> None:
        self.port = port
        self.timeout = timeout
        self.samples: list[tuple[float, float, bool]] = []
        self.in_flight: float | None = None  # start of the request now on the wire
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def request_stop(self) -> None:
        self._stop.set()

    def join(self) -> None:
        self._thread.join(timeout=self.timeout + 5)

    def _run(self) -> None:
        conn: http.client.HTTPConnection | None = None
        while not self._stop.is_set():
            if conn is None:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
            started = time.monotonic()
            with self._cond:
                self.in_flight = started
            ok = False
            try:
                conn.request("GET", "/healthz")
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = None
            ended = time.monotonic()
            with self._cond:
                self.samples.append((started, ended, ok))
                self.in_flight = None
                self._cond.notify_all()
            if not ok:
                self._stop.wait(0.05)
        if conn is not None:
            conn.close()

    def settle(self, after: float, timeout: float) -> bool:
        """Wait until a probe that started at or after `after` has finished (so every probe
        overlapping a window that ended at `after` is recorded); False at the timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not any(start >= after for start, _, _ in self.samples[-3:]):
                left = deadline - time.monotonic()
                if left <= 0 or not self._thread.is_alive():
                    return False
                self._cond.wait(left)
        return True

    def window(self, begin: float, end: float) -> tuple[float, int, bool]:
        """(longest round trip overlapping [begin, end] in ms, probes answered inside it,
        whether the longest one was still unanswered and is counted up to now)."""
        now = time.monotonic()
        with self._cond:
            samples = [(s, e) for s, e, _ in self.samples if s < end and e > begin]
            answered = sum(1 for s, e, ok in self.samples if ok and begin <= e <= end)
            pending = self.in_flight
        longest = max((e - s for s, e in samples), default=0.0)
        unanswered = False
        if pending is not None and pending < end and min(now, end) - pending > longest:
            # Still unanswered (a hung server): counted up to the end of the window, a bound.
            longest, unanswered = min(now, end) - pending, True
        return longest * 1000, answered, unanswered

    def between(self, begin: float, end: float) -> list[float]:
        """Round trips (ms) of the probes that started and ended inside [begin, end]."""
        with self._cond:
            return [(e - s) * 1000 for s, e, ok in self.samples if ok and s >= begin and e <= end]


# --------------------------------------------------------------------------- measuring


@dataclass
class Upload:
    file: str
    repeat: int  # 1..--repeat (warm-up uploads are not recorded)
    status: int | None  # None: no answer (see code)
    code: str  # the error code of a 4xx/5xx, "" for 201, or what happened instead
    upload_ms: float  # the upload request's round trip
    checked_ms: float  # until the document was checked (ready or rejected): the window
    stall_ms: float  # the longest probe round trip overlapping the window
    stall_unanswered: bool  # that probe had no answer yet when measured (hung/killed server)
    probes: int  # probes answered while the upload was in progress
    server_cpu_ms: float  # server process user+system during the upload (probes included)
    child_cpu_ms: float  # waited-for children (the PDF check process) user+system
    pages: int | None  # page_count of an accepted document


@dataclass
class FileResult:
    name: str
    kind: str
    size: int
    uploads: list[Upload] = field(default_factory=list)
    skipped: int = 0  # repeats not run after a hang


@dataclass
class CheckoutResult:
    checkout: CheckoutInfo
    is_default: bool
    idle_probe_p50_ms: float
    idle_probe_max_ms: float
    idle_probes: int
    files: list[FileResult]
    server_starts: int
    server_peak_rss_mb: float
    server_log_lines: int
    server_log_errors: int
    server_log_sample: list[str]
    failures: list[str]  # 5xx answers, hangs, crashes


def outcome(status: int | None, payload: Any) -> str:
    if status == 201 and isinstance(payload, dict) and payload.get("status") == "rejected":
        return f"rejected {payload.get('rejection_code', '')}"
    if status == 201 and isinstance(payload, dict) and payload.get("status") == "processing":
        return "still processing"
    if status is None or status == 201:
        return ""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        return str(payload["error"].get("code", ""))
    return ""


class Session:
    """One checkout's server, its API client and its probe; restarted after a hang or crash."""

    def __init__(self, opts: Options, checkout: Path, env: dict[str, str], instance: Path):
        self.opts = opts
        self.checkout = checkout
        self.env = env
        self.instance = instance
        self.server: Server | None = None
        self.api: Api | None = None
        self.probe: Probe | None = None
        self.starts = 0
        self.peak_rss = 0
        self.log_lines: list[str] = []

    def start(self, warmup: bytes, warmup_type: str) -> None:
        self.server = Server(self.checkout, self.env, self.instance, self.opts.server_memory_mb)
        self.server.start()
        self.starts += 1
        self.api = Api(self.server)
        self.api.sign_in()
        self.api.new_meeting()
        self.probe = Probe(self.server.port, timeout=self.opts.upload_timeout + 5)
        self.probe.start()
        status, payload = self.api.upload(warmup, warmup_type, self.opts.upload_timeout)
        if status != 201:
            raise RuntimeError(f"warm-up upload failed: {status} {payload}")
        time.sleep(self.opts.pause)

    def stop(self) -> None:
        """Stop the probe and the server (a hung one is killed); keep its log and peak RSS."""
        if self.probe is not None:
            self.probe.request_stop()
        if self.server is not None:
            self.server.stop()
            self.peak_rss = max(self.peak_rss, self.server.peak_rss)
            self.log_lines += self.server.log_lines()[len(self.log_lines) :]
        if self.probe is not None:
            self.probe.join()
        self.server = self.api = self.probe = None

    def idle_baseline(self) -> list[float]:
        assert self.probe is not None
        begin = time.monotonic()
        time.sleep(self.opts.idle)
        return self.probe.between(begin, time.monotonic())

    def upload(self, name: str, repeat: int, body: bytes, content_type: str) -> Upload:
        assert self.server is not None
        assert self.api is not None
        assert self.probe is not None
        cpu_before = self.server.cpu_seconds()
        status: int | None = None
        payload: Any = None
        began = time.monotonic()
        answered = began
        try:
            status, payload = self.api.upload(body, content_type, self.opts.upload_timeout)
            answered = time.monotonic()
            if status == 201:
                payload = self.api.wait_checked(payload, began + self.opts.upload_timeout)
        except TimeoutError:
            code = f"no answer in {self.opts.upload_timeout:g} s"
        except (OSError, http.client.HTTPException) as exc:
            code = f"connection lost ({type(exc).__name__})"
        else:
            code = outcome(status, payload)
        ended = time.monotonic()
        answered = answered if answered > began else ended
        cpu_after = self.server.cpu_seconds()
        settled = self.probe.settle(ended, timeout=5.0 if status is not None else 0.5)
        stall_ms, probes, unanswered = self.probe.window(began, ended)
        if status is None:
            if self.server.killed_reason:
                code = f"killed: {self.server.killed_reason}"
            elif not self.server.alive():
                code = f"server crashed (exit {self.server.exit_code()})"
        pages = payload.get("page_count") if status == 201 and isinstance(payload, dict) else None
        return Upload(
            file=name,
            repeat=repeat,
            status=status,
            code=code,
            upload_ms=(answered - began) * 1000,
            checked_ms=(ended - began) * 1000,
            stall_ms=stall_ms,
            stall_unanswered=unanswered or not settled,
            probes=probes,
            server_cpu_ms=(cpu_after[0] - cpu_before[0]) * 1000,
            child_cpu_ms=(cpu_after[1] - cpu_before[1]) * 1000,
            pages=pages if isinstance(pages, int) else None,
        )


def measure_checkout(
    opts: Options, checkout: Path, files: Sequence[PdfFile], warmup_pdf: bytes, instance: Path
) -> CheckoutResult:
    env = server_env(checkout, instance, opts.async_mode)
    info = describe_checkout(checkout, env)
    print(f"{checkout} at {info.label}: ecabinet from {info.ecabinet_module}", flush=True)
    prepare_database(checkout, env)
    bodies = {
        f.name: multipart({"title": f"bench {f.name}"}, f"{f.name}.pdf", f.data) for f in files
    }
    warmup = multipart({"title": "warm-up"}, "warm-up.pdf", warmup_pdf)
    session = Session(opts, checkout, env, instance)
    results = [FileResult(f.name, f.kind, len(f.data)) for f in files]
    failures: list[str] = []
    idle: list[float] = []
    try:
        session.start(*warmup)
        idle = session.idle_baseline()
        for pdf, result in zip(files, results, strict=True):
            for repeat in range(1, opts.repeat + 1):
                if session.server is not None and not session.server.alive():
                    exited = session.server.exit_code()
                    failures.append(f"server exited between uploads (exit {exited})")
                    session.stop()
                if session.server is None:
                    session.start(*warmup)
                upload = session.upload(pdf.name, repeat, *bodies[pdf.name])
                result.uploads.append(upload)
                shown = upload.status if upload.status is not None else "---"
                print(
                    f"  {pdf.name:<30} #{repeat} {shown} {upload.code or 'ok':<24} "
                    f"upload {upload.upload_ms:8.1f} ms, checked {upload.checked_ms:8.1f} ms, "
                    f"stall {upload.stall_ms:8.1f} ms, "
                    f"{upload.probes} probes",
                    flush=True,
                )
                if upload.status is None or upload.status >= 500:
                    answer = f"{upload.status} {upload.code}" if upload.status else upload.code
                    failures.append(f"{pdf.name} #{repeat}: {answer}")
                if upload.status is None:
                    # Hung, crashed or killed: a fresh server for what follows, and no more
                    # repeats of a file that already took it down.
                    session.stop()
                    result.skipped = opts.repeat - repeat
                    break
                time.sleep(opts.pause)
        if session.server is not None and not session.server.alive():
            failures.append(
                f"server exited after the last upload (exit {session.server.exit_code()})"
            )
    finally:
        session.stop()
    errors = [
        line
        for line in session.log_lines
        if "Traceback" in line or " ERROR " in line or line.startswith("ERROR")
    ]
    return CheckoutResult(
        checkout=info,
        is_default=checkout == REPO_ROOT,
        idle_probe_p50_ms=statistics.median(idle) if idle else float("nan"),
        idle_probe_max_ms=max(idle, default=float("nan")),
        idle_probes=len(idle),
        files=results,
        server_starts=session.starts,
        server_peak_rss_mb=session.peak_rss / 2**20,
        server_log_lines=len(session.log_lines),
        server_log_errors=len(errors),
        server_log_sample=errors[:5],
        failures=failures,
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


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} B"


def _answers(uploads: Sequence[Upload]) -> str:
    """Distinct answers, e.g. "422 pdf_too_complex" or "201 (12 p.)", with counts if mixed."""
    labels: dict[str, int] = {}
    for u in uploads:
        if u.status is None:
            label = u.code
        elif u.status == 201 and u.code:  # accepted, then refused by the check job
            label = f"201, then {u.code}"
        elif u.status == 201:
            label = f"201 ({u.pages} p.)" if u.pages is not None else "201"
        else:
            label = f"{u.status} {u.code}".strip()
        labels[label] = labels.get(label, 0) + 1
    if len(labels) == 1:
        return next(iter(labels))
    return ", ".join(f"{label} ×{count}" for label, count in labels.items())


def _median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


HEADER = (
    "file",
    "kind",
    "size",
    "answer",
    "upload p50 ms",
    "checked p50 ms",
    "stall p50 ms",
    "stall max ms",
    "probes/upload",
    "check CPU p50 ms",
    "over target",
)


def table(result: CheckoutResult, target_ms: float) -> str:
    rows = []
    for f in result.files:
        m = f.uploads
        stalls = [u.stall_ms for u in m]
        worst = max(stalls, default=float("nan"))
        hung = any(u.stall_unanswered for u in m)
        runs = f"{len(m)}" + (f" (+{f.skipped} skipped)" if f.skipped else "")
        rows.append(
            [
                f.name,
                f.kind,
                _size(f.size),
                _answers(m),
                f"{_median([u.upload_ms for u in m]):.1f}",
                f"{_median([u.checked_ms for u in m]):.1f}",
                f"{_median(stalls):.1f}",
                f"{worst:.1f}" + (" (≥, unanswered)" if hung else ""),
                f"{_median([float(u.probes) for u in m]):.0f}",
                f"{_median([u.child_cpu_ms for u in m]):.0f}",
                f"{sum(1 for s in stalls if s > target_ms)}/{runs}",
            ]
        )
    header = "| " + " | ".join(HEADER) + " |"
    rule = "|" + "|".join("-" * (len(title) + 2) for title in HEADER) + "|"
    return "\n".join([header, rule, *("| " + " | ".join(row) + " |" for row in rows)])


def worst_stall(result: CheckoutResult) -> tuple[float, str]:
    worst = (0.0, "")
    for f in result.files:
        for u in f.uploads:
            if u.stall_ms > worst[0]:
                worst = (u.stall_ms, f.name)
    return worst


def verdict_line(result: CheckoutResult, target_ms: float) -> str:
    stall, name = worst_stall(result)
    verdict = "over" if stall > target_ms else "within"
    return (
        f"`{result.checkout.path}` ({result.checkout.label}): worst stall {stall:.0f} ms "
        f"({name}), {verdict} the {target_ms:.0f} ms target"
    )


def details(result: CheckoutResult) -> str:
    text = (
        f"idle probe p50 {result.idle_probe_p50_ms:.2f} ms, max {result.idle_probe_max_ms:.1f} ms "
        f"({result.idle_probes} probes); server started {result.server_starts}× "
        f"(1 + restarts after a hang or crash); peak RSS server + children "
        f"{result.server_peak_rss_mb:.0f} MB; server log (WARNING and up) "
        f"{result.server_log_lines} lines, {result.server_log_errors} of them errors"
    )
    if result.failures:
        text += "; failures: " + "; ".join(result.failures)
    return text


def markdown_section(
    opts: Options,
    machine: dict[str, Any],
    results: Sequence[CheckoutResult],
    stamp: datetime,
    raw_path: Path,
) -> str:
    packages = ", ".join(f"{name} {version}" for name, version in machine["packages"].items())
    try:
        raw = raw_path.relative_to(REPO_ROOT)
    except ValueError:
        raw = raw_path
    checkouts = "; ".join(
        f"`{r.checkout.path}` at {r.checkout.label}"
        + (" (this repository)" if r.is_default else "")
        for r in results
    )
    lines = [
        f"## {stamp:%Y-%m-%d %H:%M} UTC — upload stall, async mode {opts.async_mode}",
        "",
        f"- Machine: {machine['cpu_model']}, {machine['cores']} cores **shared by the server, "
        f"its PDF-check child and the benchmark**, {machine['memory_gib']} GiB RAM, Linux "
        f"{machine['kernel']}, Python {machine['python']}; load average (1 min) "
        f"{machine['load_average_start']} at the start, {machine['load_average_end']} at the end",
        f"- Packages: {packages}",
        f"- Async mode: {opts.async_mode}; {opts.repeat} measured uploads per file after one "
        f"warm-up upload ({WARMUP_FILE}) per server start, {opts.pause:.1f} s apart; probe: "
        "`GET /healthz` back to back on one keep-alive connection; stall = longest probe round "
        "trip overlapping the upload",
        f"- Checkouts: {checkouts}",
        f"- Raw figures: `{raw}`",
        "",
    ]
    for r in results:
        lines += [
            f"### `{r.checkout.path}` — {r.checkout.label}",
            "",
            table(r, opts.target_ms),
            "",
            f"- {details(r)}",
            "",
        ]
    lines += [f"- {verdict_line(r, opts.target_ms)}" for r in results]
    return "\n".join([*lines, ""])


def write_results(
    opts: Options, machine: dict[str, Any], results: Sequence[CheckoutResult]
) -> Path:
    stamp = datetime.now(UTC)
    opts.results_dir.mkdir(parents=True, exist_ok=True)
    raw_path = opts.results_dir / f"upload-stall-{stamp:%Y%m%dT%H%M%SZ}.json"
    options = {k: v for k, v in asdict(opts).items() if k not in ("results_md", "results_dir")}
    options["checkouts"] = [str(c) for c in opts.checkouts]
    payload = {
        "timestamp": stamp.isoformat(timespec="seconds"),
        "options": options,
        "machine": machine,
        "results": [asdict(r) for r in results],
    }
    raw_path.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n")
    if not opts.results_md.exists():
        opts.results_md.write_text(
            "# Benchmark results\n\nSee bench/README.md for the columns. Newest section last.\n\n"
        )
    separator = "" if opts.results_md.read_text().endswith("\n\n") else "\n"
    with opts.results_md.open("a") as md:
        md.write(separator + markdown_section(opts, machine, results, stamp, raw_path) + "\n")
    return raw_path


# --------------------------------------------------------------------------- main


def build_files(names: Sequence[str]) -> tuple[list[PdfFile], bytes]:
    """The files to upload, and the warm-up file's bytes."""
    builders = file_builders()
    files = []
    for name in names:
        kind, build = builders[name]
        started = time.monotonic()
        data = build()
        print(f"  built {name}: {_size(len(data))} in {time.monotonic() - started:.1f} s")
        files.append(PdfFile(name, kind, data))
    warmup = next((f.data for f in files if f.name == WARMUP_FILE), b"")
    return files, warmup or builders[WARMUP_FILE][1]()


@contextlib.contextmanager
def instance_dir(keep: bool) -> Iterator[Path]:
    if keep:
        path = Path(tempfile.mkdtemp(prefix="ecabinet-upload-stall-"))
        print(f"  instance dir kept: {path}")
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="ecabinet-upload-stall-") as name:
            yield Path(name)


def main(argv: Sequence[str] | None = None) -> int:
    opts = parse_args(argv)
    machine = machine_info()
    machine["packages"] = package_versions()
    machine["load_average_start"] = round(os.getloadavg()[0], 2)
    print("Building the test files", flush=True)
    files, warmup = build_files(opts.files)
    results = []
    for checkout in opts.checkouts:
        with instance_dir(opts.keep_tmp) as instance:
            try:
                result = measure_checkout(opts, checkout, files, warmup, instance)
            except RuntimeError as exc:
                print(f"{checkout}: {exc}", file=sys.stderr)
                return 2
        results.append(result)
        print(f"  {details(result)}", flush=True)
        for line in result.server_log_sample:
            print(f"    server: {line}")
    machine["load_average_end"] = round(os.getloadavg()[0], 2)
    raw_path = write_results(opts, machine, results)
    for r in results:
        print(f"\n{r.checkout.path} — {r.checkout.label}\n{table(r, opts.target_ms)}")
    print()
    for r in results:
        print(verdict_line(r, opts.target_ms))
    print(f"\nAppended to {opts.results_md}; raw figures in {raw_path}")
    return 1 if any(r.failures for r in results if r.is_default) else 0


if __name__ == "__main__":
    sys.exit(main())
