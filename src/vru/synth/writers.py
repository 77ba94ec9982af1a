"""Deterministic file writing: same content in, same bytes out (no timestamps, fixed formats)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


def fmt_float(x: np.ndarray, decimals: int) -> pa.Array:
    """Fixed-decimals text (like '%.6f'); NaN becomes an empty field. Vectorised in Arrow."""
    x = np.asarray(x, dtype=float)
    finite = np.isfinite(x)
    scale = 10 ** decimals
    ints = np.round(np.abs(np.where(finite, x, 0.0)) * scale).astype(np.int64)
    sign = np.where((x < 0) & (ints > 0), "-", "")
    whole = pc.cast(pa.array(ints // scale), pa.string())
    if decimals:
        frac = pc.utf8_lpad(pc.cast(pa.array(ints % scale), pa.string()), decimals, "0")
        text = pc.binary_join_element_wise(pa.array(sign), whole, ".", frac, "")
    else:
        text = pc.binary_join_element_wise(pa.array(sign), whole, "")
    return pc.if_else(pa.array(finite), text, "")


def _text(col: object) -> pa.Array:
    """Any column as Arrow text, quoted where CSV needs it (commas, quotes, line breaks).

    Arrow arrays (from fmt_float) and numeric arrays are written as they are: no quoting needed.
    """
    if isinstance(col, pa.ChunkedArray):
        col = col.combine_chunks()
    if isinstance(col, pa.Array):
        return col.fill_null("") if pa.types.is_string(col.type) else pc.cast(col, pa.string())
    arr = np.asarray(col)
    if arr.dtype.kind in "iub":
        return pc.cast(pa.array(arr), pa.string())
    col = pa.array(arr.astype(object) if arr.dtype.kind != "O" else arr, type=pa.string(),
                   from_pandas=True).fill_null("")
    needs = pc.match_substring_regex(col, '[,"\r\n]')
    if pc.any(needs).as_py():
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
        col = pc.if_else(needs, quoted, col)
    return col


def write_csv(path: Path, columns: dict[str, object], append: bool = False) -> int:
    """Write columns (name -> array, all the same length) as UTF-8 CSV, \n line ends, fields
    quoted only when needed (as data.police.uk does). Arrow does the string work: pandas'
    writer was 10x slower here, and pyarrow's own CSV writer quotes every string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = [_text(c) for c in columns.values()]
    n = len(cols[0]) if cols else 0
    with open(path, "ab" if append else "wb") as fh:
        if not append:
            fh.write((",".join(columns) + "\n").encode("utf-8"))
        for start in range(0, n, 200_000):
            part = [c.slice(start, 200_000) for c in cols]
            lines = pc.binary_join_element_wise(*part, ",")
            block = pc.binary_join(pa.LargeListArray.from_arrays(
                pa.array([0, len(lines)], pa.int64()), lines.cast(pa.large_string())),
                pa.scalar("\n", pa.large_string()))
            fh.write(block[0].as_py().encode("utf-8"))
            fh.write(b"\n")
    return n


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True, default=_default) + "\n",
                    encoding="utf-8")


def _default(o: object):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def hex_ids(rng: np.random.Generator, n: int) -> list[str]:
    """n random 64-hex identifiers (the shape of data.police.uk Crime IDs)."""
    raw = rng.bytes(32 * n).hex()
    return [raw[i * 64:(i + 1) * 64] for i in range(n)]


def sha256_tree(root: Path) -> dict[str, str]:
    """sha256 of every file under root, keyed by relative path (for determinism checks)."""
    out = {}
    for f in sorted(root.rglob("*")):
        if f.is_file():
            h = hashlib.sha256()
            with open(f, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            out[f.relative_to(root).as_posix()] = h.hexdigest()
    return out
