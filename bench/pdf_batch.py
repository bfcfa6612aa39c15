"""A meeting's folder of documents: upload 30 PDFs of 20 pages over the real HTTP API, one
after the other as the page's bulk upload sends them, and time until every one is ready in
the live state tablets get (each is checked by a job in a child process, with a thumbnail).

Reported: the wall time of the uploads, the time from the first upload until all 30 are in
`GET /api/v1/meetings/<id>/state` (what a tablet's state holds), and the longest /healthz
answer meanwhile. Appends a section to bench/RESULTS.md; raw figures to bench/results/.

Run: .venv/bin/python bench/pdf_batch.py [--files 30] [--pages 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attendee_import import HubProbe  # bench/ is sys.path[0] when run as a script
from fanout import machine_info
from pypdf import PdfReader
from upload_stall import Api, Server, multipart, prepare_database, request, server_env

from ecabinet.documents.pdf import text_pdf

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent


def report(number: int, pages: int) -> bytes:
    """A text report of at least `pages` pages, different for each `number`."""
    paragraph = (
        "Tình hình kinh tế - xã hội của xã trong quý cơ bản ổn định, các chỉ tiêu chủ yếu "
        "đạt và vượt kế hoạch đề ra; công tác quốc phòng, an ninh được giữ vững. "
    ) * 4
    count = pages * 4
    while True:
        data = text_pdf(f"Báo cáo số {number}", [f"{n + 1}. {paragraph}" for n in range(count)])
        if len(PdfReader(io.BytesIO(data)).pages) >= pages:
            return data
        count += pages


def run_once(server: Server, api: Api, files: list[bytes]) -> dict[str, Any]:
    api.new_meeting()
    headers = {"Authorization": f"Bearer {api.token}", "Accept": "application/json"}
    started = time.perf_counter()
    with HubProbe(server.port) as probe:
        for number, data in enumerate(files):
            body, content_type = multipart({}, f"bao-cao-{number}.pdf", data)
            status, payload = request(
                server.port,
                "POST",
                f"/api/v1/meetings/{api.meeting_id}/documents",
                body=body,
                headers={**headers, "Content-Type": content_type},
                timeout=120,
            )
            if status != 201:
                raise RuntimeError(f"upload {number}: {status} {payload}")
        uploaded = time.perf_counter() - started
        ready = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            status, state = request(
                server.port, "GET", f"/api/v1/meetings/{api.meeting_id}/state", headers=headers
            )
            ready = len(state.get("documents", [])) if status == 200 else 0
            if ready == len(files):
                break
            time.sleep(0.1)
        all_ready = time.perf_counter() - started
    if ready != len(files):
        raise RuntimeError(f"only {ready}/{len(files)} documents ready after 600 s")
    return {
        "uploads_s": round(uploaded, 2),
        "all_ready_s": round(all_ready, 2),
        "longest_healthz_s": round(probe.longest, 3),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=30)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results-md", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    files = [report(n, args.pages) for n in range(args.files)]
    sizes = [len(f) for f in files]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="ecabinet-bench-") as tmp:
        instance = Path(tmp)
        env = server_env(REPO_ROOT, instance, "eventlet")
        prepare_database(REPO_ROOT, env)
        server = Server(REPO_ROOT, env, instance, rss_cap_mb=4096)
        server.start()
        try:
            api = Api(server)
            api.sign_in()
            for repetition in range(args.repeat):
                run = {"repetition": repetition + 1, **run_once(server, api, files)}
                runs.append(run)
                print(json.dumps(run), flush=True)
        finally:
            server.stop()
    stamp = datetime.now(UTC)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    raw = args.results_dir / f"pdf-batch-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw.write_text(json.dumps({"machine": machine_info(), "sizes": sizes, "runs": runs}, indent=2))

    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    section = "\n".join(
        [
            f"## {stamp:%Y-%m-%d %H:%M} UTC — {args.files} PDFs of {args.pages} pages until "
            "ready on a tablet",
            "",
            "- One eventlet server, SQLite, its in-process job runner; 2 cores shared with the "
            f"client; {args.repeat} fresh meeting(s); files {min(sizes) // 1024}-"
            f"{max(sizes) // 1024} KB; raw figures: `bench/results/{raw.name}`",
            "",
            "| uploads, s | all ready in the live state, s | longest /healthz meanwhile, s |",
            "|---|---|---|",
            f"| {median('uploads_s'):.1f} | {median('all_ready_s'):.1f} "
            f"| {max(r['longest_healthz_s'] for r in runs):.3f} |",
        ]
    )
    with args.results_md.open("a") as out:
        out.write("\n" + section + "\n")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
