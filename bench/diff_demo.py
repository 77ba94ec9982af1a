"""Demo outputs identical before and after a change: build two demo workspaces and diff them.

One demo is built from a git revision (checked out with ``git worktree`` into a temporary
folder), the other from the current tree; both run ``vru demo`` with the same seed and scale in
fresh processes. Then every table of the two DuckDB files is compared row for row (as multisets),
and every exported file (profiles, hot-spot outputs) is compared as text: HTML, CSV, JSON and SVG
directly, PDF and DOCX through their extracted text.

Only what is random or clock-bound by design is set aside, and the report says so: the demo's
pseudonymisation key, password and Python hash seed are fixed in both runs (so pseudonyms and
set-ordered ids match), TIMESTAMP
columns and timings are not compared, nor are Argon2 hashes, audit hash chains and run ids.

    /work/venv/bin/python bench/diff_demo.py --rev 7dbfbce            # base vs this tree
    /work/venv/bin/python bench/diff_demo.py --rev main --scale 0.05 --keep /tmp/dd
    /work/venv/bin/python bench/diff_demo.py --rev A --against B   # two revisions

Exit status 0 when identical, 1 when anything differs (each difference is listed).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs `vru demo` with the demo's random key and password fixed (same pseudonyms both sides).
RUNNER = """
import secrets, sys
secrets.token_hex = lambda n=32: "5a" * n
secrets.token_urlsafe = lambda n=32: "fixed-demo-password"
from vru.cli import app
sys.argv = ["vru", "demo", "--workspace", sys.argv[1], "--seed", sys.argv[2], "--scale", sys.argv[3]]
app()
"""

# Columns that are clock-bound, random by design, or run bookkeeping (never data).
VOLATILE_COLUMNS = {"password_hash", "entry_hash", "prev_hash", "hash", "signature", "ms",
                    "duration_s", "seconds", "elapsed_s", "csrf_token", "token", "session_id",
                    "user_name", "created_by"}
VOLATILE_TYPES = ("TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_NS", "TIMESTAMP_MS",
                  "INTERVAL")
# Text that changes with the clock, the folder or the machine.
STAMP = re.compile(r"\d{8}-\d{6}")  # run folders are named by their start time
MASKS = [
    (STAMP, "<stamp>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?"), "<ts>"),
    (re.compile(r"\b\d{1,2} [A-Z][a-z]+ \d{4},? \d{2}:\d{2}\b"), "<ts>"),
    (re.compile(r"(/tmp|/work)[^\s\"'<>,)]*"), "<path>"),
    (re.compile(r"\b(built|rendered|took|in) [\d.]+ ?s\b"), r"\1 <s>"),
    (re.compile(r"\"(ms|seconds|duration_s|elapsed_s)\": ?[\d.]+"), r'"\1": <n>'),
]


def build(src: Path, out: Path, seed: int, scale: float) -> Path:
    ws = out / "ws"
    # a fixed hash seed: set iteration order (and the ids it hands out) is the same both sides
    env = {**os.environ, "PYTHONPATH": str(src), "TZ": "UTC", "PYTHONHASHSEED": "0"}
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(ws), str(seed), str(scale)],
                          env=env, capture_output=True, text=True, cwd=out)
    (out / "demo.log").write_text(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        raise SystemExit(f"demo failed for {src} (see {out / 'demo.log'}):\n{proc.stderr[-2000:]}")
    return ws


def table_rows(db: Path, root: Path) -> dict[str, tuple[list[str], Counter]]:
    """Every base table's rows as a multiset of text tuples, the demo's own folder (which differs
    between the two builds) written as <root>."""
    import duckdb

    prefix = str(root)

    con = duckdb.connect(str(db), read_only=True)
    out = {}
    try:
        tables = [r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
            "ORDER BY 1").fetchall()]
        for t in tables:
            cols = con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position", [t]).fetchall()
            keep = [c for c, ty in cols if c not in VOLATILE_COLUMNS
                    and not any(ty.startswith(v) for v in VOLATILE_TYPES)]
            if not keep:
                out[t] = ([], Counter())
                continue
            sel = ", ".join(f'"{c}"::VARCHAR' for c in keep)
            rows = con.execute(f'SELECT {sel} FROM "{t}"').fetchall()
            out[t] = (keep, Counter(tuple(STAMP.sub("<stamp>", v.replace(prefix, "<root>"))
                                          if v else v for v in r) for r in rows))
    finally:
        con.close()
    return out


def text_of(path: Path, root: Path) -> str:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        import pypdfium2 as pdfium

        pdf = pdfium.PdfDocument(path.read_bytes())
        try:
            text = "\n".join(p.get_textpage().get_text_range() for p in pdf)
        finally:
            pdf.close()
    elif suffix == ".docx":
        import io

        import docx

        d = docx.Document(io.BytesIO(path.read_bytes()))
        parts = [p.text for p in d.paragraphs]
        for tb in d.tables:
            for row in tb.rows:
                parts.extend(c.text for c in row.cells)
        text = "\n".join(parts)
    elif suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, data_only=False, read_only=True)
        text = "\n".join(f"{ws.title}!{'|'.join('' if c is None else str(c) for c in row)}"
                         for ws in wb.worksheets for row in ws.iter_rows(values_only=True))
        wb.close()
    elif suffix in (".png", ".jpg", ".parquet", ".duckdb", ".gz", ".zip"):
        import hashlib

        return hashlib.sha256(path.read_bytes()).hexdigest()
    else:
        text = path.read_text(encoding="utf-8", errors="replace")
    text = text.replace(str(root), "<root>")
    for pattern, repl in MASKS:
        text = pattern.sub(repl, text)
    return text


def diff_trees(a: Path, b: Path) -> list[str]:
    """Differences between two demo workspaces (tables, then exported files)."""
    problems = []
    ta, tb = table_rows(a / "vru.duckdb", a.parent), table_rows(b / "vru.duckdb", b.parent)
    for t in sorted(set(ta) | set(tb)):
        if t not in ta or t not in tb:
            problems.append(f"table {t}: only in {'after' if t in tb else 'before'}")
            continue
        (ca, ra), (cb, rb) = ta[t], tb[t]
        if ca != cb:
            problems.append(f"table {t}: columns differ: {ca} vs {cb}")
            continue
        if ra != rb:
            gone, new = ra - rb, rb - ra
            cols = [c for i, c in enumerate(ca) if Counter(r[i] for r in ra.elements())
                    != Counter(r[i] for r in rb.elements())]
            problems.append(f"table {t}: {sum(gone.values())} rows only before, "
                            f"{sum(new.values())} only after; columns whose values differ: "
                            f"{', '.join(cols) or '(only their combination)'}")
    fa = {STAMP.sub("<stamp>", str(p.relative_to(a))): p
          for p in (a / "exports").rglob("*") if p.is_file()}
    fb = {STAMP.sub("<stamp>", str(p.relative_to(b))): p
          for p in (b / "exports").rglob("*") if p.is_file()}
    for rel in sorted(set(fa) ^ set(fb)):
        problems.append(f"file {rel}: only {'after' if rel in fb else 'before'}")
    for rel in sorted(set(fa) & set(fb)):
        xa, xb = text_of(fa[rel], a.parent), text_of(fb[rel], b.parent)
        if xa != xb:
            la, lb = xa.splitlines(), xb.splitlines()
            first = next((i for i, (p, q) in enumerate(zip(la, lb, strict=False)) if p != q),
                         min(len(la), len(lb)))
            was = la[first][:160] if first < len(la) else "<end>"
            now = lb[first][:160] if first < len(lb) else "<end>"
            problems.append(f"file {rel}: differs from line {first + 1}: {was!r} -> {now!r}")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rev", default="main", help="git revision to compare with (default main)")
    ap.add_argument("--against", help="a second git revision instead of this tree")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=0.15, help="the demo's default is 0.15")
    ap.add_argument("--keep", type=Path, help="keep both demos under this folder")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE_WS", "AFTER_WS"),
                    help="only diff two demo workspaces already built (e.g. from --keep)")
    args = ap.parse_args()
    if args.compare:
        problems = diff_trees(*args.compare)
        for p in problems:
            print("  " + p)
        print("identical: every table and every exported file" if not problems
              else f"{len(problems)} difference(s)")
        return 1 if problems else 0

    base = Path(args.keep or tempfile.mkdtemp(prefix="diff-demo-"))
    base.mkdir(parents=True, exist_ok=True)
    old_tree, new_tree = base / "rev", base / "against"
    trees = [(old_tree, args.rev)] + ([(new_tree, args.against)] if args.against else [])
    for tree, rev in trees:
        if tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
                       check=True, capture_output=True)
    new_src = new_tree / "src" if args.against else ROOT / "src"
    try:
        (base / "before").mkdir(exist_ok=True)
        (base / "after").mkdir(exist_ok=True)
        print(f"building the demo of {args.rev} ...", flush=True)
        a = build(old_tree / "src", base / "before", args.seed, args.scale)
        print(f"building the demo of {args.against or 'this tree'} ...", flush=True)
        b = build(new_src, base / "after", args.seed, args.scale)
        problems = diff_trees(a, b)
    finally:
        for tree, _ in trees:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"compared {args.rev} with {args.against or 'this tree'} (seed {args.seed}, "
          f"scale {args.scale})")
    if not problems:
        print("identical: every table and every exported file")
        return 0
    print(f"{len(problems)} difference(s):")
    for p in problems:
        print("  " + p)
    return 1


if __name__ == "__main__":
    sys.exit(main())
