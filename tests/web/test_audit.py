"""The hash-chained audit log: appends chain, and every kind of tampering is detected."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vru.privacy.audit import AuditLog, Entry, record_hash, tail, verify


def _fill(tmp_path, n=20):
    log = AuditLog(tmp_path, durable=False)
    for i in range(n):
        log.append(Entry("request", f"user{i % 3}", f"GET /page/{i}", "analyst", {"i": i}))
    return log


def _lines(tmp_path):
    return (tmp_path / "audit.log").read_text().splitlines()


def _write(tmp_path, lines):
    (tmp_path / "audit.log").write_text("\n".join(lines) + ("\n" if lines else ""))


def test_clean_log_verifies_and_chains(tmp_path):
    log = _fill(tmp_path)
    res = verify(tmp_path)
    assert res.ok, res.problems
    assert res.records == 20 and res.head_seq == 20
    recs = [json.loads(x) for x in _lines(tmp_path)]
    assert recs[0]["prev"] == "0" * 64
    for a, b in zip(recs, recs[1:], strict=False):
        assert b["prev"] == a["hash"] and b["seq"] == a["seq"] + 1
    # each hash is the SHA-256 of the record's canonical JSON without the hash (independent check)
    import hashlib
    body = {k: v for k, v in recs[5].items() if k != "hash"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == recs[5]["hash"]
    assert log.head() == (20, recs[-1]["hash"])


def test_edit_is_detected(tmp_path):
    _fill(tmp_path)
    lines = _lines(tmp_path)
    lines[7] = lines[7].replace('"user1"', '"someone"')
    _write(tmp_path, lines)
    res = verify(tmp_path)
    assert not res.ok
    assert any("seq 8" in p and "edited" in p for p in res.problems)


def test_edit_with_recomputed_hash_is_detected(tmp_path):
    _fill(tmp_path)
    lines = _lines(tmp_path)
    rec = json.loads(lines[3])
    rec["actor"] = "nobody"
    rec["hash"] = record_hash(rec)  # forger recomputes this record's hash ...
    lines[3] = json.dumps(rec)
    _write(tmp_path, lines)
    res = verify(tmp_path)  # ... but the next record's prev no longer matches
    assert not res.ok
    assert any("seq 5" in p and "prev" in p for p in res.problems)


def test_deletion_in_the_middle_is_detected(tmp_path):
    _fill(tmp_path)
    lines = _lines(tmp_path)
    del lines[10]
    _write(tmp_path, lines)
    res = verify(tmp_path)
    assert not res.ok
    assert any("seq 12 where 11" in p for p in res.problems)


def test_truncated_tail_is_detected_by_the_head_anchor(tmp_path):
    _fill(tmp_path)
    _write(tmp_path, _lines(tmp_path)[:15])
    res = verify(tmp_path)
    assert not res.ok
    assert any("ends at seq 15" in p and "5 final records deleted" in p for p in res.problems)


def test_emptied_log_and_deleted_head_are_detected(tmp_path):
    _fill(tmp_path)
    _write(tmp_path, [])
    assert not verify(tmp_path).ok
    _fill(tmp_path / "b")
    (tmp_path / "b" / "audit.head").unlink()
    res = verify(tmp_path / "b")
    assert not res.ok and any("audit.head is missing" in p for p in res.problems)


def test_rewritten_log_is_caught_by_an_external_anchor(tmp_path):
    log = _fill(tmp_path, 5)
    kept = log.head()
    # someone rewrites the whole log and the head consistently
    for f in ("audit.log", "audit.head"):
        (tmp_path / f).unlink()
    forged = AuditLog(tmp_path, durable=False)
    for i in range(5):
        forged.append(Entry("request", "forger", f"GET /x/{i}"))
    assert verify(tmp_path).ok  # self-consistent ...
    res = verify(tmp_path, expect=kept)  # ... but not the head copied off the machine
    assert not res.ok and any("expected head" in p for p in res.problems)


def test_two_writers_keep_one_chain(tmp_path):
    a = AuditLog(tmp_path, durable=False)
    b = AuditLog(tmp_path, durable=False)
    for i in range(10):
        (a if i % 2 else b).append(Entry("request", "x", f"GET /{i}"))
    # and a separate process appends too
    code = (
        "import sys; from vru.privacy.audit import AuditLog, Entry;"
        "AuditLog(sys.argv[1], durable=False).append(Entry('cli', 'admin', 'users add'))"
    )
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    a.append(Entry("request", "x", "GET /last"))
    res = verify(tmp_path)
    assert res.ok, res.problems
    assert res.records == 12
    newest = tail(tmp_path, limit=2)
    assert [r["action"] for r in newest] == ["GET /last", "users add"]


@pytest.mark.parametrize("garbage", ["not json", '{"seq": 3}'])
def test_garbage_line_is_reported(tmp_path, garbage):
    _fill(tmp_path, 5)
    lines = _lines(tmp_path)
    lines.insert(2, garbage)
    _write(tmp_path, lines)
    assert not verify(tmp_path).ok
