"""Server bootstrap for `fanout.py --gc-probe`: `python -m ecabinet ...` plus one stderr line per
full (generation 2) garbage collection, so the benchmark can line pauses up with slow rounds.

Usage (done by fanout.py): python bench/gcprobe.py serve --host 127.0.0.1 --port 5000
The line format is parsed by fanout.py: "bench-gc gen=2 ms=<pause> at=<unix time>".
"""

from __future__ import annotations

import gc
import sys
import time

LINE_PREFIX = "bench-gc gen=2"


def install() -> None:
    started = [0.0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            started[0] = time.perf_counter()
            return
        pause_ms = (time.perf_counter() - started[0]) * 1000
        sys.stderr.write(f"{LINE_PREFIX} ms={pause_ms:.1f} at={time.time():.3f}\n")
        sys.stderr.flush()

    gc.callbacks.append(on_gc)


if __name__ == "__main__":
    install()
    from ecabinet.cli import main  # imports nothing that needs monkey patching first

    sys.argv[0] = "ecabinet"
    main()
