"""Preparing a big meeting over the real HTTP API: import an attendee list from XLSX, list it,
export it, and issue everyone's tablet link, timed end to end.

For each size (default 1,000 and 50,000 attendees), on a fresh meeting of one real server
(`python -m ecabinet serve`, eventlet, SQLite, as bench/upload_stall.py starts it):

1. `POST /api/v1/meetings/<id>/attendees/import?dry_run=1` with the XLSX (the preview);
2. `POST .../attendees/import` (all or nothing);
3. `GET .../attendees?per_page=5000` (the first page, up to 5,000, as JSON);
4. `GET .../attendees.xlsx` (the export);
5. `POST .../links` (a link for everyone).

The wall time of each request as the client sees it, and the server's CPU seconds over the
request. Targets from issue 8: 1,000 rows imported < 2 s, 50,000 < 30 s. Appends a section
to bench/RESULTS.md and the raw figures to bench/results/.

Run: .venv/bin/python bench/attendee_import.py [--sizes 1000,50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fanout import machine_info  # bench/ is sys.path[0] when run as a script
from openpyxl import Workbook  # type: ignore[import-untyped]
from upload_stall import Api, Server, multipart, prepare_database, request, server_env

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
TARGETS = {1000: 2.0, 50000: 30.0}  # seconds for the import request
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Thanh", "Ngọc", "Quang", "Thu", "Xuân"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam"]
UNITS = ["Đảng ủy xã", "Ủy ban nhân dân huyện", "Sở Nội vụ", "Hội Nông dân", "Công an tỉnh"]


def attendee_workbook(size: int, seed: int = 7) -> bytes:
    """A list as an office sends it: Vietnamese headings, names, units, unique phones."""
    rng = random.Random(seed)  # noqa: S311  (test data, not secrets)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Danh sách")
    sheet.append(["Họ và tên", "Chức vụ", "Đơn vị", "Số điện thoại", "Vai trò"])
    for n in range(size):
        name = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        phone = f"09{n:08d}"  # unique, valid Vietnamese mobiles
        sheet.append([name, "Đại biểu", rng.choice(UNITS), phone, "Đại biểu"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


class HubProbe:
    """GET /healthz back to back on its own thread: the longest answer while a step runs is
    how long that step kept every tablet waiting."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.longest = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.perf_counter()
            request(self.port, "GET", "/healthz", timeout=120)
            self.longest = max(self.longest, time.perf_counter() - started)
            self._stop.wait(0.02)

    def __enter__(self) -> HubProbe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def timed(
    server: Server, call: Callable[[], tuple[int, Any]]
) -> tuple[int, Any, float, float, float]:
    cpu_before = sum(server.cpu_seconds())
    with HubProbe(server.port) as probe:
        started = time.perf_counter()
        status, payload = call()
        wall = time.perf_counter() - started
    return status, payload, wall, sum(server.cpu_seconds()) - cpu_before, probe.longest


def run_size(server: Server, api: Api, size: int, workbook: bytes) -> dict[str, Any]:
    api.new_meeting()
    base = f"/api/v1/meetings/{api.meeting_id}"
    headers = {"Authorization": f"Bearer {api.token}", "Accept": "application/json"}
    body, content_type = multipart({}, "danh-sach.xlsx", workbook)
    upload = {**headers, "Content-Type": content_type}
    steps: dict[str, Callable[[], tuple[int, Any]]] = {
        "preview": lambda: request(
            server.port,
            "POST",
            f"{base}/attendees/import?dry_run=1",
            body=body,
            headers=upload,
            timeout=600,
        ),
        "import": lambda: request(
            server.port,
            "POST",
            f"{base}/attendees/import",
            body=body,
            headers=upload,
            timeout=600,
        ),
        "list": lambda: request(
            server.port, "GET", f"{base}/attendees?per_page=5000", headers=headers, timeout=600
        ),
        "export": lambda: request(
            server.port, "GET", f"{base}/attendees.xlsx", headers=headers, timeout=600
        ),
        "links": lambda: request(
            server.port,
            "POST",
            f"{base}/links",
            body=b"{}",
            headers={**headers, "Content-Type": "application/json"},
            timeout=600,
        ),
    }
    result: dict[str, Any] = {"size": size, "xlsx_bytes": len(workbook)}
    for name, call in steps.items():
        status, payload, wall, cpu, stall = timed(server, call)
        expected = 201 if name in ("import", "links") else 200
        if status != expected:
            raise RuntimeError(f"{name} at {size}: {status} {str(payload)[:300]}")
        if name == "import" and payload.get("add") != size:
            raise RuntimeError(f"import at {size} added {payload.get('add')}")
        if name == "links" and len(payload.get("links", [])) != size:
            raise RuntimeError(f"links at {size}: {len(payload.get('links', []))}")
        if name == "list" and len(payload) != min(size, 5000):  # one page of at most 5,000
            raise RuntimeError(f"list at {size}: {len(payload)}")
        result[name] = {
            "wall_s": round(wall, 3),
            "server_cpu_s": round(cpu, 3),
            "longest_healthz_s": round(stall, 3),
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,50000", help="attendees per list, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="fresh meetings per size")
    parser.add_argument("--results-md", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    workbooks = {size: attendee_workbook(size) for size in sizes}
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-") as tmp:
        instance = Path(tmp)
        env = server_env(REPO_ROOT, instance, "eventlet")
        env["ECABINET_PUBLIC_URL"] = "http://192.168.1.10:5000"
        prepare_database(REPO_ROOT, env)
        server = Server(REPO_ROOT, env, instance, rss_cap_mb=4096)
        server.start()
        try:
            api = Api(server)
            api.sign_in()
            for repetition in range(args.repeat):
                for size in sizes:
                    run = run_size(server, api, size, workbooks[size])
                    run["repetition"] = repetition + 1
                    runs.append(run)
                    print(json.dumps(run, ensure_ascii=False), flush=True)
        finally:
            peak = server.peak_rss
            server.stop()
    stamp = datetime.now(UTC)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    raw = args.results_dir / f"attendee-import-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw.write_text(
        json.dumps({"machine": machine_info(), "runs": runs}, indent=2, ensure_ascii=False)
    )
    lines = [
        f"## {stamp:%Y-%m-%d %H:%M} UTC — attendee import, list, export and links over HTTP",
        "",
        "- Machine: 2 cores shared by the server and the client; one eventlet server, SQLite",
        f"- Sizes {', '.join(str(s) for s in sizes)}; {args.repeat} fresh meeting(s) each; "
        f"medians of wall time as the client saw it (server CPU in brackets); peak server RSS "
        f"{peak / 2**20:.0f} MB",
        f"- Raw figures: `bench/results/{raw.name}`",
        "",
        "| attendees | XLSX | preview s | import s | list s | export s | links s | import target "
        "| longest /healthz during a step s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        mine = [r for r in runs if r["size"] == size]

        def cell(step: str, mine: list[dict[str, Any]] = mine) -> str:
            wall = statistics.median(r[step]["wall_s"] for r in mine)
            cpu = statistics.median(r[step]["server_cpu_s"] for r in mine)
            return f"{wall:.2f} ({cpu:.2f})"

        imported = statistics.median(r["import"]["wall_s"] for r in mine)
        target = TARGETS.get(size)
        verdict = (
            f"< {target:.0f} s: {'met' if imported < target else 'NOT met'}" if target else "—"
        )
        kb = mine[0]["xlsx_bytes"] / 1024
        stalls = ", ".join(
            f"{step} {max(r[step]['longest_healthz_s'] for r in mine):.2f}"
            for step in ("preview", "import", "list", "export", "links")
        )
        lines.append(
            f"| {size:,} | {kb:,.0f} KB | {cell('preview')} | {cell('import')} | {cell('list')} "
            f"| {cell('export')} | {cell('links')} | {verdict} | {stalls} |"
        )
    section = "\n".join(lines) + "\n"
    with args.results_md.open("a") as out:
        out.write("\n" + section)
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
