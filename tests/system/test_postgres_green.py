"""Under eventlet our PostgreSQL driver must yield: a slow query may not freeze every tablet."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import TEST_DATABASE_URL
from tests.tools import ROOT

pytestmark = [pytest.mark.postgres, pytest.mark.system]

PROBE = """
import sys, time
from ecabinet.serving import patch
patch(sys.argv[2])
from sqlalchemy import text
from ecabinet.db import make_engine

engine = make_engine(sys.argv[1])
def sleep_one():
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_sleep(1)"))
sleep_one()  # warm the pool and the driver
start = time.monotonic()
if sys.argv[2] == "eventlet":
    import eventlet
    pool = eventlet.GreenPool()
    for _ in range(2):
        pool.spawn(sleep_one)
    pool.waitall()
else:
    import gevent
    gevent.joinall([gevent.spawn(sleep_one) for _ in range(2)])
print(round(time.monotonic() - start, 3))
"""


@pytest.mark.skipif(
    not TEST_DATABASE_URL, reason="runs in the PostgreSQL pass (make test-postgres)"
)
@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_two_pg_sleeps_overlap_under_green_threads(mode: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, TEST_DATABASE_URL, mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=dict(os.environ, PYTHONWARNINGS="ignore"),
    )
    elapsed = float(result.stdout.strip().splitlines()[-1])
    assert elapsed < 1.6, f"two 1 s queries took {elapsed} s: the driver blocks the hub"
