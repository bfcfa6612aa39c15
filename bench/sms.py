"""SMS outbox: queueing a congress's invitations, the relay's throughput to a fake provider
beside bare HTTP posts to it, and a provider outage of minutes with the backlog draining.

1. enqueue: 10,000 invitations (compose each, NFC and không dấu, segments, the personal
   link's hash, the message row and its job) in one transaction on SQLite, the embedded
   default. Target from issue 10: under 2 s.
2. relay: messages/s from the outbox through the http-json gateway to a fake provider on
   127.0.0.1 (each: claim the job, mark sending and commit, POST, record and commit), beside
   the same POSTs from a bare requests.Session, interleaved in one process.
3. outage: the provider answers 503 for --outage seconds while the relay (production retry
   settings) works through --backlog messages; then how long until all are sent, and that
   none was lost or sent twice.

Appends a section to bench/RESULTS.md and the raw figures to bench/results/.

Run: .venv/bin/python bench/sms.py [--invitations 10000] [--repeat 5] [--messages 2000]
                                   [--outage 120] [--backlog 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import requests
from fanout import machine_info  # bench/ is sys.path[0] when run as a script

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import insert  # noqa: E402
from sqlmodel import col, func, select  # noqa: E402

from ecabinet.actor import SYSTEM  # noqa: E402
from ecabinet.attendees.models import Attendee  # noqa: E402
from ecabinet.db import Database  # noqa: E402
from ecabinet.events import EventBus  # noqa: E402
from ecabinet.jobs.runner import JobRunner  # noqa: E402
from ecabinet.meetings import lifecycle  # noqa: E402
from ecabinet.meetings import service as meetings  # noqa: E402
from ecabinet.meetings.schemas import MeetingCreate  # noqa: E402
from ecabinet.notify import service  # noqa: E402
from ecabinet.notify.gateways import make_gateway  # noqa: E402
from ecabinet.notify.models import SmsKind, SmsMessage  # noqa: E402
from ecabinet.notify.relay import Relay, RelaySettings  # noqa: E402
from ecabinet.timeutil import utcnow  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent
PUBLIC_URL = "http://192.168.100.20:5000"


class Provider(BaseHTTPRequestHandler):
    """An Android SMS gateway that takes each message, or answers 503 while `down`."""

    down = False
    taken: ClassVar[Counter[str]] = Counter()
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length) or b"{}")
        if Provider.down:
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with Provider.lock:
            Provider.taken[str(body.get("id"))] += 1
        answer = json.dumps({"id": body.get("id"), "state": "Pending"}).encode()
        self.send_response(202)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *_args: Any) -> None:
        return


def fresh_database(folder: str) -> Database:
    url = f"sqlite:///{folder}/bench.db"
    subprocess.run(
        [sys.executable, "-m", "ecabinet", "db", "upgrade"],
        cwd=REPO_ROOT,
        env={**os.environ, "ECABINET_DATABASE_URL": url},
        check=True,
        capture_output=True,
    )
    database = Database.from_url(url)
    bus = EventBus()
    bus.install(database.sessions)
    return database


def meeting_with(database: Database, attendees: int) -> int:
    with database.unit_of_work() as session:
        meeting = meetings.create_meeting(
            session,
            actor=SYSTEM,
            data=MeetingCreate(
                title="Đại hội đại biểu Đảng bộ tỉnh lần thứ XVIII",
                location="Trung tâm Hội nghị tỉnh",
                starts_at=utcnow() + timedelta(days=10),
            ),
        )
        session.flush()
        assert meeting.id is not None
        now = utcnow()
        session.execute(
            insert(Attendee),
            [
                {
                    "meeting_id": meeting.id,
                    "full_name": f"Nguyễn Thị Phượng Hoàng {n}",
                    "position": "Đại biểu",
                    "unit": "Đảng bộ huyện Điện Bàn",
                    "phone": f"+8491{n:07d}",
                    "role": "delegate",
                    "search_text": "",
                    "rsvp": "",
                    "created_at": now,
                }
                for n in range(attendees)
            ],
        )
        lifecycle.publish(session, actor=SYSTEM, meeting_id=meeting.id)
        return meeting.id


SETTINGS = service.NotifySettings(public_url=PUBLIC_URL, link_key=b"k" * 32)


def enqueue(database: Database, meeting_id: int) -> float:
    started = time.perf_counter()
    with database.unit_of_work() as session:
        done = service.queue_messages(
            session,
            actor=SYSTEM,
            meeting_id=meeting_id,
            kind=SmsKind.INVITATION,
            settings=SETTINGS,
        )
    elapsed = time.perf_counter() - started
    assert done.queued > 0
    return elapsed


def relay_for(database: Database, url: str, **settings: Any) -> tuple[JobRunner, Relay]:
    runner = JobRunner(database, lease=timedelta(seconds=120), poll_seconds=0.2)
    relay = Relay(
        database,
        make_gateway("http-json", {"URL": url, "TIMEOUT": 10}),
        RelaySettings(public_url=PUBLIC_URL, link_key=b"k" * 32, **settings),
    )
    runner.register(service.SEND_JOB, relay.send_job)
    return runner, relay


def queue_free(database: Database, meeting_id: int, count: int, cause: str) -> None:
    with database.unit_of_work() as session:
        ids = session.exec(
            select(Attendee.id).where(Attendee.meeting_id == meeting_id).limit(count)
        ).all()
        service.queue_messages(
            session,
            actor=SYSTEM,
            meeting_id=meeting_id,
            kind=SmsKind.FREE,
            settings=SETTINGS,
            attendee_ids=[i for i in ids if i is not None],
            content="Đề nghị đồng chí có mặt lúc 7 giờ 30 để nhận tài liệu.",
            cause=cause,
        )


def relay_rate(database: Database, meeting_id: int, url: str, count: int, cause: str) -> float:
    queue_free(database, meeting_id, count, cause)
    runner, _relay = relay_for(database, url, rate_per_second=1000)
    started = time.perf_counter()
    sent = runner.drain()
    elapsed = time.perf_counter() - started
    assert sent >= count
    return count / elapsed


def bare_rate(url: str, count: int) -> float:
    session = requests.Session()
    session.trust_env = False
    started = time.perf_counter()
    for n in range(count):
        session.post(
            f"{url}/message",
            json={"id": f"bare{n}", "message": "De nghi", "phoneNumbers": ["+84912345678"]},
            timeout=10,
        ).raise_for_status()
    return count / (time.perf_counter() - started)


def outage(
    database: Database, meeting_id: int, url: str, backlog: int, seconds: float
) -> dict[str, Any]:
    """Production retry settings; the provider down for `seconds` from the first send."""
    Provider.taken.clear()
    Provider.down = True
    queue_free(database, meeting_id, backlog, "outage")
    runner, _relay = relay_for(database, url, rate_per_second=1000)
    worker = threading.Thread(target=runner.run_forever, daemon=True)
    started = time.monotonic()
    worker.start()
    time.sleep(seconds)
    Provider.down = False
    recovered = time.monotonic()
    deadline = recovered + 900
    while time.monotonic() < deadline:
        with database.unit_of_work(write=False) as session:
            waiting = session.exec(
                select(func.count())
                .select_from(SmsMessage)
                .where(col(SmsMessage.state).in_(["queued", "sending"]))
            ).one()
        if not waiting:
            break
        time.sleep(0.5)
    drained = time.monotonic()
    runner.stop()
    worker.join(timeout=10)
    with database.unit_of_work(write=False) as session:
        states = Counter(
            session.exec(select(SmsMessage.state).where(SmsMessage.meeting_id == meeting_id))
        )
        attempts = session.exec(
            select(func.max(SmsMessage.attempts)).where(SmsMessage.meeting_id == meeting_id)
        ).one()
    return {
        "outage_s": seconds,
        "backlog": backlog,
        "drain_after_recovery_s": round(drained - recovered, 2),
        "total_s": round(drained - started, 2),
        "sent_to_provider": sum(Provider.taken.values()),
        "sent_twice": sum(1 for n in Provider.taken.values() if n > 1),
        "states": dict(states),
        "max_attempts": attempts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invitations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--outage", type=float, default=120.0)
    parser.add_argument("--backlog", type=int, default=2000)
    parser.add_argument("--results-md", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    raw: dict[str, Any] = {"machine": machine_info()}
    # Each part on its own database: queued invitations nobody relays must not weigh on the
    # relay's figures (they did in a first run: 50,000 waiting jobs).
    with tempfile.TemporaryDirectory(prefix="ecabinet-sms-") as tmp:
        database = fresh_database(tmp)
        enqueue_s = []
        for _ in range(args.repeat):
            meeting_id = meeting_with(database, args.invitations)
            enqueue_s.append(enqueue(database, meeting_id))
            print(f"enqueue {args.invitations}: {enqueue_s[-1]:.2f} s", flush=True)
        raw["enqueue_s"] = enqueue_s
        database.dispose()
    with tempfile.TemporaryDirectory(prefix="ecabinet-sms-") as tmp:
        database = fresh_database(tmp)
        meeting_id = meeting_with(database, args.messages)
        rates: dict[str, list[float]] = {"relay": [], "bare": []}
        for run in range(3):  # interleaved
            rates["relay"].append(relay_rate(database, meeting_id, url, args.messages, f"r{run}"))
            rates["bare"].append(bare_rate(url, args.messages))
            print(json.dumps({k: round(v[-1]) for k, v in rates.items()}), flush=True)
        raw["rates_per_s"] = rates
        database.dispose()
    with tempfile.TemporaryDirectory(prefix="ecabinet-sms-") as tmp:
        database = fresh_database(tmp)
        other = meeting_with(database, args.backlog)
        raw["outage"] = outage(database, other, url, args.backlog, args.outage)
        print(json.dumps(raw["outage"]), flush=True)
        database.dispose()
    server.shutdown()
    stamp = datetime.now(UTC)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    path = args.results_dir / f"sms-{stamp:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(raw, indent=2))
    enqueue_median = statistics.median(enqueue_s)
    relay_median = statistics.median(rates["relay"])
    bare_median = statistics.median(rates["bare"])
    gone = raw["outage"]
    section = "\n".join(
        [
            f"## {stamp:%Y-%m-%d %H:%M} UTC — SMS outbox",
            "",
            f"- One process, SQLite; medians; raw figures: `bench/results/{path.name}`",
            "",
            "| measure | median | target |",
            "|---|---|---|",
            f"| queue {args.invitations:,} invitations (compose, link hash, row, job), "
            f"{args.repeat} runs | {enqueue_median:.2f} s | < 2 s: "
            f"**{'met' if enqueue_median < 2 else 'NOT met'}** |",
            f"| relay to a fake provider on 127.0.0.1, {args.messages:,} messages, 3 runs "
            f"| {relay_median:.0f} msg/s | |",
            f"| the same POSTs from a bare requests.Session | {bare_median:.0f} msg/s "
            f"| relay / bare = {relay_median / bare_median:.2f} |",
            "",
            f"Provider down for {gone['outage_s']:.0f} s under {gone['backlog']:,} messages "
            f"(production retry settings: 5 s doubling to 300 s): all sent "
            f"{gone['drain_after_recovery_s']:.1f} s after it came back "
            f"({gone['total_s']:.0f} s in all); sent to the provider {gone['sent_to_provider']:,}, "
            f"twice {gone['sent_twice']}; states {gone['states']}; at most "
            f"{gone['max_attempts']} attempts for a message.",
        ]
    )
    with args.results_md.open("a") as out:
        out.write("\n" + section + "\n")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
