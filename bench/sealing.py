"""Files sealed at rest (ecabinet/sealing.py): what sealing costs a reader, measured beside
the same file stored plain, in one process, interleaved.

- seal: storing a 10 MB upload (Storage.promote: sealed copy written and fsynced, against a
  rename of the plain file);
- whole: reading the 10 MB file through, as a full download streams it;
- range: one 64 KiB Range read at a random offset, as pdf.js asks for pages (opening the
  file, its header, and the one or two chunks the range covers).

Appends a section to bench/RESULTS.md and the raw figures to bench/results/.

Run: .venv/bin/python bench/sealing.py [--mb 10] [--repeat 15] [--ranges 400]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from fanout import machine_info  # bench/ is sys.path[0] when run as a script

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from ecabinet import sealing  # noqa: E402
from ecabinet.documents.storage import ReceivedBlob, Storage  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent


def store(storage: Storage, data: bytes) -> tuple[str, float]:
    """Promote `data` as an upload would; the seconds the promotion took."""
    temp = storage.tmp / f"bench-{os.urandom(4).hex()}"
    temp.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    started = time.perf_counter()
    storage.promote(ReceivedBlob(temp_path=temp, sha256=sha, size=len(data), head=data[:16]))
    return sha, time.perf_counter() - started


def read_whole(storage: Storage, sha: str) -> float:
    started = time.perf_counter()
    stream, _size = storage.open(sha)
    with stream:
        while stream.read(sealing.CHUNK):
            pass
    return time.perf_counter() - started


def read_range(storage: Storage, sha: str, start: int, length: int) -> float:
    started = time.perf_counter()
    stream, _size = storage.open(sha)
    with stream:
        stream.seek(start)
        got = stream.read(length)
    elapsed = time.perf_counter() - started
    assert len(got) == length
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--ranges", type=int, default=400)
    parser.add_argument("--results-md", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--results-dir", type=Path, default=BENCH_DIR / "results")
    args = parser.parse_args(argv)
    rng = random.Random(9)  # noqa: S311  (offsets, not secrets)
    size = args.mb * 1024 * 1024
    ms: dict[str, dict[str, list[float]]] = {
        way: {"seal": [], "whole": [], "range": []} for way in ("plain", "sealed")
    }
    with tempfile.TemporaryDirectory() as tmp:
        stores = {
            "plain": Storage(Path(tmp) / "plain"),
            "sealed": Storage(Path(tmp) / "sealed", sealing.KeyRing.new()),
        }
        for _ in range(args.repeat):
            data = os.urandom(size)
            for way, storage in stores.items():
                sha, seconds = store(storage, data)
                ms[way]["seal"].append(seconds * 1000)
                ms[way]["whole"].append(read_whole(storage, sha) * 1000)
                storage.path_for(sha).unlink()
        data = os.urandom(size)
        shas = {way: store(storage, data)[0] for way, storage in stores.items()}
        for _ in range(args.ranges):
            start = rng.randrange(0, size - 65536)
            for way, storage in stores.items():
                ms[way]["range"].append(read_range(storage, shas[way], start, 65536) * 1000)
    median = {w: {k: statistics.median(v) for k, v in d.items()} for w, d in ms.items()}
    stamp = datetime.now(UTC)
    args.results_dir.mkdir(parents=True, exist_ok=True)
    raw = args.results_dir / f"sealing-{stamp:%Y%m%dT%H%M%SZ}.json"
    raw.write_text(json.dumps({"machine": machine_info(), "mb": args.mb, "ms": ms}, indent=2))
    rows = [
        (f"store a {args.mb} MB upload (plain: rename; sealed: encrypt, write, fsync)", "seal"),
        (f"read the {args.mb} MB file through", "whole"),
        ("one 64 KiB Range read (open, seek, read)", "range"),
    ]
    lines = [
        f"## {stamp:%Y-%m-%d %H:%M} UTC — files sealed at rest (AES-256-GCM, 64 KiB chunks)",
        "",
        f"- One process; plain and sealed storage interleaved; {args.repeat} runs of the "
        f"{args.mb} MB file, {args.ranges} ranges; medians; raw figures: "
        f"`bench/results/{raw.name}`",
        "",
        "| operation | plain ms | sealed ms | ratio |",
        "|---|---|---|---|",
    ]
    for label, key in rows:
        plain, sealed = median["plain"][key], median["sealed"][key]
        lines.append(f"| {label} | {plain:.2f} | {sealed:.2f} | {sealed / plain:.1f} |")
    throughput = args.mb / (median["sealed"]["whole"] / 1000)
    lines += ["", f"- Sealed read-through: {throughput:.0f} MB/s on one core."]
    section = "\n".join(lines)
    with args.results_md.open("a") as out:
        out.write("\n" + section + "\n")
    print(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
