"""The job runner and the result cache: a writing job's changes show when it ends, with the
answers people were using already recomputed (nobody's click waits for a cold computation)."""

from __future__ import annotations

import threading
import time

from tests.web.conftest import fill_crimes
from vru.live.jobs import JobRunner
from vru.testing import new_workspace
from vru.web.cache import ResultCache


def _wait(job, timeout=30):
    deadline = time.time() + timeout
    while not job.finished and time.time() < deadline:
        time.sleep(0.02)
    assert job.finished


def test_a_writing_job_refreshes_cached_answers_before_it_ends(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    try:
        fill_crimes(ws, n=300)
        cache = ResultCache(ws, check_s=0.0)        # would notice any change at once
        runner = JobRunner(ws)
        runner.before_write.append(cache.pin)
        runner.after_write.append(cache.refresh_and_unpin)
        computed: list[int] = []

        def count() -> int:
            n = ws.scalar("SELECT count(*) FROM crimes")
            computed.append(n)
            return n

        assert cache.value(("n",), count) == 300 and computed == [300]
        committed, finish = threading.Event(), threading.Event()

        def job(j) -> None:
            with ws.transaction() as con:
                con.execute("DELETE FROM crimes WHERE row_number < 100")
                con.execute("INSERT INTO imports (import_id, source, started_at) "
                            "VALUES (99, 'police_uk', now())")
            committed.set()
            finish.wait(10)

        j = runner.submit(job, kind="test", title="delete", actor="tester", writes=True)
        assert committed.wait(10)
        # committed, but the job has not ended: the answers in use stay as they were
        assert cache.value(("n",), count) == 300 and computed == [300]
        finish.set()
        _wait(j)
        assert j.status == "done", j.error
        # the job recomputed the answer before it ended: the next click is a hit, with new data
        assert computed == [300, 200]
        assert cache.value(("n",), count) == 200 and computed == [300, 200]
        # a read job does not pin anything
        r = runner.submit(lambda j: 1, kind="test", title="read", actor="t", writes=False)
        _wait(r)
        assert r.result == 1 and cache._pinned == 0
        runner.shutdown()
    finally:
        ws.close()


def test_a_failing_job_is_reported_and_unpins(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    try:
        cache = ResultCache(ws)
        runner = JobRunner(ws)
        runner.before_write.append(cache.pin)
        runner.after_write.append(cache.refresh_and_unpin)

        def boom(j):
            j.report("half-way")
            raise ValueError("file x.csv, row 3, field month: not a month")

        j = runner.submit(boom, kind="test", title="boom", actor="t", writes=True)
        _wait(j)
        assert j.status == "failed" and "row 3" in j.error
        assert [e["t"] for e in j.events][-1] == "end" and cache._pinned == 0
        assert any(e["s"] == "half-way" for e in j.events)
        runner.shutdown()
    finally:
        ws.close()
