"""SQL generation: staging (identifiers pseudonymised in the staging query), typed values,
row rules and rejects, all generated from the contract."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from vru.privacy.pseudonymise import Pseudonymiser
from vru.sources.contract.model import Check, Column, Contract

# Accepted text: dates YYYY-MM-DD or DD/MM/YYYY; date-times YYYY-MM-DD HH:MM[:SS] (or with T)
# or DD/MM/YYYY HH:MM[:SS].
DAYFIRST_DATETIME = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M"]
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
EARLIEST = "1900-01-01"
# Rows per Arrow record batch of a chunk's in-memory tables. DuckDB scans an Arrow table one
# record batch per thread: a chunk in one batch (pyarrow's and DuckDB's default size) is read,
# validated and inserted by a single thread.
ARROW_BATCH = 122_880


def q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def clean(expr: str) -> str:
    """``expr`` trimmed of spaces, tabs and line ends, NULL when empty.

    Trimmed only where a value can need it: text that sorts before '!' (empty, or starting with
    a byte up to the space) or ends with one of those characters. The test is a byte compare and
    four suffix LIKEs, about 4x cheaper than trim() on every value (measured: staging an ISTV
    chunk took 2.4 s of CPU with trim() on every value, 0.4 s with the test)."""
    return (f"CASE WHEN {expr} < '!' OR {expr} LIKE '% ' OR {expr} LIKE '%\t' "
            f"OR {expr} LIKE '%\r' OR {expr} LIKE '%\n' "
            f"THEN nullif(trim({expr}, ' \t\r\n'), '') ELSE {expr} END")


def staged(col: Column, text: str) -> str:
    """A column's staged value (as hub_stg has it) from its raw text."""
    return clean(text) if col.trim else f"nullif({text}, '')"


def unique_keys(c: Contract, header: list[str], src: str) -> str | None:
    """``(SELECT file_id, row_number, k0..kN FROM src)``: the contract's unique key of every row
    of ``src`` (raw text c0..cN), staged and typed exactly as ``validate`` types it; None for a
    contract without one."""
    if not c.unique:
        return None
    pos = {h: i for i, h in enumerate(header)}
    cols = {col.name: col for col in c.stored}
    raw = ", ".join(f"{staged(cols[k], f'c{pos[k]}') if k in pos else 'NULL::VARCHAR'} AS {q(k)}"
                    for k in c.unique)
    keys = ", ".join(f"{_typed(cols[k])} AS k{j}" for j, k in enumerate(c.unique))
    return (f"(SELECT file_id, row_number, {keys} "
            f"FROM (SELECT file_id, row_number, {raw} FROM {src}))")


def stage(con: duckdb.DuckDBPyConnection, c: Contract, header: list[str], src: str,
          pseudo: Pseudonymiser | None, maker=None) -> tuple[pa.Table | None, pa.Table | None]:
    """The view hub_stg: the batch's rows as trimmed text, identifiers already pseudonymised.

    Returns the in-memory tables the view joins, which the caller must bind as ``hub_map``
    (every identifier's distinct raw values -> pseudonym or problem, ``g`` = the identifier's
    number) and ``hub_mk`` (contracts with match keys: the keyed features of every person on
    the row, ``p`` = the person's slot, by ``__mk_id<slot>``) for as long as the view is used
    (see ``engine._import_chunk``)."""
    pos = {h: i for i, h in enumerate(header)}
    select = ["s.file_id", "s.row_number"]
    for col in c.stored:
        if col.name in pos:
            text = f"s.c{pos[col.name]}"
            select.append(f"{staged(col, text)} AS {q(col.name)}")
        else:
            select.append(f"NULL::VARCHAR AS {q(col.name)}")
    joins = []
    parts: list[pa.Table] = []
    width = max((len(i.columns) for i in c.identifiers), default=0)
    for g, ident in enumerate(c.identifiers):
        assert pseudo is not None
        exprs = [(clean(f"s.c{pos[n]}") if n in pos else "NULL::VARCHAR") for n in ident.columns]
        keys = ", ".join(f"{e} AS k{j}" for j, e in enumerate(exprs))
        distinct = con.execute(f"SELECT DISTINCT {keys} FROM {src} s").fetchall()
        pids, problems = pseudo.map_values(ident.kind, distinct)
        m = {"g": pa.array([g] * len(distinct), type=pa.int64())}
        m.update({f"k{j}": pa.array([r[j] if j < len(exprs) else None for r in distinct],
                                    type=pa.string()) for j in range(width)})
        m["pid"] = pa.array(pids, type=pa.string())
        m["problem"] = pa.array(problems, type=pa.string())
        del distinct
        parts.append(pa.table(m))
        on = " AND ".join([f"m{g}.g = {g}", *(f"m{g}.k{j} IS NOT DISTINCT FROM {e}"
                                              for j, e in enumerate(exprs))])
        joins.append(f"LEFT JOIN hub_map m{g} ON {on}")
        select.append(f"m{g}.pid AS {q(ident.name)}")
        select.append(f"m{g}.problem AS {q(ident.name + '__problem')}")
    hub_map = pa.concat_tables(parts) if parts else None
    hub_mk = None
    if c.people and maker is not None:
        mks: list[pa.Table] = []
        for slot, mk in enumerate(c.people):
            mks.append(_stage_match_keys(con, mk, slot, sum(t.num_rows for t in mks), pos, src,
                                         maker, select, joins))
        hub_mk = pa.concat_tables(mks)
    # A view, not a table: the files are read once more, straight into validation. DuckDB binds
    # hub_map and hub_mk, here and wherever the view is used, to the variables of those names.
    con.execute(
        f"CREATE TEMP VIEW hub_stg AS SELECT {', '.join(select)} FROM {src} s {' '.join(joins)}"
    )
    return hub_map, hub_mk


def _stage_match_keys(con, mk, slot: int, first_id: int, pos: dict[str, int], src: str, maker,
                      select: list[str], joins: list[str]) -> pa.Table:
    """Distinct raw quasi-identifier tuples of the row's person ``slot`` -> keyed match
    features, in memory (Arrow; ``mk_id`` from ``first_id``, ``p`` = slot), joined in by the
    raw values like the identifier pseudonyms; only the row's ``__mk_id<slot>`` goes on."""
    from vru.privacy.matchkeys import make_features

    exprs = [(clean(f"s.c{pos[n]}") if n in pos else "NULL::VARCHAR") for n in mk.raw]
    keys = ", ".join(f"{e} AS k{j}" for j, e in enumerate(exprs))
    distinct = con.execute(f"SELECT DISTINCT {keys} FROM {src} s").fetchall()
    cols = list(zip(*distinct, strict=True)) if distinct else [[], [], [], []]
    feats = make_features(maker, cols[0], cols[1], cols[2], [None] * len(distinct), cols[3])
    feats = feats.drop_columns(["sex"])
    table = pa.table({**{f"k{j}": pa.array(list(cols[j]), type=pa.string()) for j in range(4)},
                      "mk_id": pa.array(range(first_id, first_id + len(distinct)), type=pa.int64()),
                      "p": pa.array([slot] * len(distinct), type=pa.int64())})
    for name in feats.column_names:
        table = table.append_column(name, feats.column(name))
    del distinct, cols
    on = " AND ".join(f"mk{slot}.k{j} IS NOT DISTINCT FROM {e}" for j, e in enumerate(exprs))
    joins.append(f"LEFT JOIN (SELECT k0, k1, k2, k3, mk_id FROM hub_mk WHERE p = {slot}) "
                 f"mk{slot} ON {on}")
    select.append(f"mk{slot}.mk_id AS __mk_id{slot}")
    return table


# ---------------------------------------------------------------------------- validation
def _typed(col: Column) -> str:
    x = q(col.name)
    t = col.type
    if t == "int":
        # TRY_CAST alone would round '19.5' to 20: accept only whole-number text.
        return f"CASE WHEN regexp_full_match({x}, '[+-]?[0-9]+') THEN TRY_CAST({x} AS BIGINT) END"
    if t == "decimal":
        return f"CASE WHEN isfinite(TRY_CAST({x} AS DOUBLE)) THEN TRY_CAST({x} AS DOUBLE) END"
    # ISO text goes through DuckDB's cast (about 25x faster than try_strptime with a list of
    # formats); day-first UK text through strptime.
    if t == "date":
        return (f"coalesce(CASE WHEN length({x}) = 10 AND {x} NOT LIKE '%/%' "
                f"THEN TRY_CAST({x} AS DATE) END, "
                f"CASE WHEN {x} LIKE '%/%' THEN CAST(try_strptime({x}, '%d/%m/%Y') AS DATE) END, "
                f"CASE WHEN length({x}) > 10 AND {x} NOT LIKE '%/%' "
                f"THEN CAST(TRY_CAST({x} AS TIMESTAMP) AS DATE) END)")
    if t == "datetime":
        return (f"coalesce(CASE WHEN length({x}) >= 16 AND {x} NOT LIKE '%/%' "
                f"THEN TRY_CAST({x} AS TIMESTAMP) END, "
                f"CASE WHEN {x} LIKE '%/%' THEN try_strptime({x}, {DAYFIRST_DATETIME!r}) END)")
    if t == "time":
        return f"CAST(try_strptime({x}, {TIME_FORMATS!r}) AS TIME)"
    if t == "code":
        codes = ", ".join(lit(v) for v in col.codes)
        return f"CASE WHEN upper({x}) IN ({codes}) THEN upper({x}) END"
    if t == "bool":
        return (f"CASE WHEN upper({x}) IN ('Y', 'YES', 'TRUE', '1') THEN true "
                f"WHEN upper({x}) IN ('N', 'NO', 'FALSE', '0') THEN false END")
    if t == "lsoa":
        return f"CASE WHEN regexp_full_match(upper({x}), '[EW]01[0-9]{{6}}') THEN upper({x}) END"
    if t == "postcode":
        pc = f"upper(regexp_replace({x}, '\\s+', '', 'g'))"
        return (f"CASE WHEN regexp_full_match({pc}, '[A-Z]{{1,2}}[0-9][A-Z0-9]?[0-9][A-Z]{{2}}') "
                f"THEN regexp_replace({pc}, '([0-9][A-Z]{{2}})$', ' \\1') END")
    if t == "icd10":
        ic = f"upper(replace({x}, '.', ''))"
        return f"CASE WHEN regexp_full_match({ic}, '[A-Z][0-9]{{2}}[0-9A-Z]?') THEN {ic} END"
    return x  # text


def _expected(col: Column) -> str:
    return {
        "int": "not a whole number",
        "decimal": "not a number",
        "date": "not a date (expected YYYY-MM-DD or DD/MM/YYYY)",
        "datetime": "not a date and time (expected YYYY-MM-DD HH:MM[:SS] or DD/MM/YYYY HH:MM)",
        "time": "not a time of day (expected HH:MM)",
        "code": "not in the code list (" + ", ".join(col.codes) + ")",
        "bool": "not a yes/no value (Y/N)",
        "lsoa": "not an LSOA code (E01/W01 + 6 digits)",
        "postcode": "not a UK postcode",
        "icd10": "not an ICD-10 code",
    }.get(col.type, "invalid")


def _problem(field_: str, reason_sql: str) -> str:
    return f"{{'field': {lit(field_)}, 'reason': {reason_sql}}}"


Rule = list[tuple[str, str | None]]  # a rule's (condition, problem or None) in order: a CASE


def _column_problem(col: Column) -> Rule:
    x, v = q(col.name), q("v_" + col.name)
    shown = f"'''' || left({x}, 40) || ''''"
    rule: Rule = [(f"{x} IS NULL", _problem(col.name, "'required value missing'")
                   if col.required else None)]
    if col.type == "text":
        if col.max_length:
            rule.append((f"length({x}) > {col.max_length}",
                         _problem(col.name, lit(f"longer than {col.max_length} characters"))))
    else:
        rule.append((f"{v} IS NULL", _problem(col.name, f"{lit(_expected(col) + ': ')} || {shown}")))
    if col.type in ("int", "decimal"):
        if col.min is not None:
            rule.append((f"{v} < {col.min}",
                         _problem(col.name, f"'below the minimum {col.min:g}: ' || {shown}")))
        if col.max is not None:
            rule.append((f"{v} > {col.max}",
                         _problem(col.name, f"'above the maximum {col.max:g}: ' || {shown}")))
    if col.type in ("date", "datetime"):
        rule.append((f"{v} < DATE '{EARLIEST}'",
                     _problem(col.name, f"'before {EARLIEST}: ' || {shown}")))
        if not col.future_ok:
            rule.append((f"{v} > current_date + INTERVAL 1 DAY",
                         _problem(col.name, f"'in the future: ' || {shown}")))
    return rule


def _rule_outcome(rule: Rule) -> str:
    """Which of the rule's conditions holds first (1, 2, ...; NULL when none): computed once
    per row, so a condition that queries a table runs once."""
    return "CASE " + " ".join(f"WHEN {w} THEN {i}" for i, (w, _p) in enumerate(rule, 1)) + " END"


def _rule_fails(rule: Rule, outcome: str) -> str:
    """Whether the rule has a problem, from its outcome column (a branch without a problem
    means none)."""
    hits = [str(i) for i, (_w, p) in enumerate(rule, 1) if p is not None]
    return f"coalesce({outcome} IN ({', '.join(hits)}), false)" if hits else "false"


def _rule_problem(rule: Rule, outcome: str) -> str:
    """The rule's problem (a struct) from its outcome column, NULL when there is none."""
    return (f"CASE {outcome} " + " ".join(f"WHEN {i} THEN {p or 'NULL'}"
                                          for i, (_w, p) in enumerate(rule, 1)) + " END")


def start_chunks(con: duckdb.DuckDBPyConnection, c: Contract) -> None:
    """Before the first of several chunks of one batch: the tables that carry the row rules
    that span chunks (uniqueness within a file; a key loaded once) from chunk to chunk."""
    if c.unique:
        cols = {col.name: col for col in c.stored}
        keys = ", ".join(f"CAST(NULL AS {_sql_type(cols[k])}) AS k{j}"
                         for j, k in enumerate(c.unique))
        con.execute(f"CREATE OR REPLACE TEMP TABLE hub_seen AS SELECT 0::BIGINT AS file_id, {keys}, "
                    "0::BIGINT AS __first LIMIT 0")
    if c.once is not None:
        con.execute(f"CREATE OR REPLACE TEMP TABLE hub_once_before AS "
                    f"SELECT DISTINCT * FROM ({c.once.stored})")
        col = c.column(c.once.column)
        con.execute(f"CREATE OR REPLACE TEMP TABLE hub_once_loaded AS SELECT 0::BIGINT AS file_id, "
                    f"CAST(NULL AS {_sql_type(col)}) AS k LIMIT 0")


def end_chunk(con: duckdb.DuckDBPyConnection, c: Contract, keys: bool = True) -> None:
    """After a chunk of several: remember its unique keys (``hub_grp``, from ``validate``;
    ``keys`` False: there are none, the file's duplicates were known beforehand) and its valid
    once-keys."""
    if c.unique and keys:
        groups = ", ".join(f"k{j}" for j in range(len(c.unique)))
        on = " AND ".join(["s.file_id = g.file_id", *(f"s.k{j} = g.k{j}"
                                                       for j in range(len(c.unique)))])
        con.execute(f"INSERT INTO hub_seen SELECT g.file_id, {groups.replace('k', 'g.k')}, g.__first "
                    f"FROM hub_grp g ANTI JOIN hub_seen s ON {on}")
    if c.once is not None:
        v = q("v_" + c.once.column)
        con.execute(f"INSERT INTO hub_once_loaded SELECT DISTINCT file_id, {v} FROM hub_ok "
                    f"WHERE {v} IS NOT NULL")


def end_chunks(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("hub_seen", "hub_once_before", "hub_once_loaded"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _sql_type(col: Column) -> str:
    return {"int": "BIGINT", "decimal": "DOUBLE", "date": "DATE", "datetime": "TIMESTAMP",
            "time": "TIME", "bool": "BOOLEAN"}.get(col.type, "VARCHAR")


def validate(con: duckdb.DuckDBPyConnection, c: Contract, chunked: bool = False,
             dups: pa.Table | None = None) -> tuple[pa.Table, pa.Table | None]:
    """Typed values, row problems and flags of the staged rows (hub_stg): returns them as the
    Arrow table the caller binds as ``hub_chk`` (and, for a chunked contract with a unique key,
    the chunk's keys with their first row, to bind as ``hub_grp`` for ``end_chunk``); the valid
    rows are the view hub_ok. ``chunked``: the batch comes in several chunks, and rules that
    span rows (unique, once) also look at the earlier chunks (see start_chunks), unless
    ``dups`` already holds the duplicated keys of the chunk's whole files (file_id, k0..kN,
    ``__first``: found while the files were probed, ``readers.batch_chunks``).

    Arrow tables, not temp tables: the import is one transaction, and DuckDB keeps the data of a
    temp table dropped inside a transaction until it ends (measured: about 180 MB per ISTV
    chunk of 491,520 rows), so per-chunk temp tables made memory grow with file size."""
    hub_grp = hub_dups = None  # the chunk's keys; DuckDB reads hub_dups by name (replacement scan)
    typed = [f"{_typed(col)} AS {q('v_' + col.name)}" for col in c.stored]
    dup_join = ""
    if c.unique:
        # Duplicates within a file, found by a GROUP BY over the file and key columns alone (a
        # narrow scan), kept only for keys seen more than once; far cheaper than a window over
        # every row.
        cols = {col.name: col for col in c.stored}
        key_exprs = [f"{_typed(cols[k])} AS k{j}" for j, k in enumerate(c.unique)]
        groups = ", ".join(f"k{j}" for j in range(len(c.unique)))
        if dups is not None:
            hub_dups = dups  # noqa: F841 (DuckDB reads it by name)
        elif not chunked:
            hub_dups = con.execute(  # noqa: F841 (DuckDB reads it by name)
                f"SELECT file_id, {groups}, min(row_number) AS __first "
                f"FROM (SELECT file_id, row_number, {', '.join(key_exprs)} FROM hub_stg) "
                f"GROUP BY ALL HAVING count(*) > 1"
            ).to_arrow_table(ARROW_BATCH)
        else:
            # Every key of the chunk with its first row, then the keys repeated within the
            # chunk or already seen in an earlier chunk of the same file.
            hub_grp = con.execute(
                f"SELECT file_id, {groups}, min(row_number) AS __first, count(*) AS __n "
                f"FROM (SELECT file_id, row_number, {', '.join(key_exprs)} FROM hub_stg) "
                f"GROUP BY ALL").to_arrow_table(ARROW_BATCH)
            on = " AND ".join(["s.file_id = g.file_id", *(f"s.k{j} = g.k{j}"
                                                           for j in range(len(c.unique)))])
            hub_dups = con.execute(  # noqa: F841 (DuckDB reads it by name)
                f"SELECT g.file_id, {groups.replace('k', 'g.k')}, "
                f"least(g.__first, s.__first) AS __first "
                f"FROM hub_grp g LEFT JOIN hub_seen s ON {on} "
                f"WHERE g.__n > 1 OR s.__first IS NOT NULL").to_arrow_table(ARROW_BATCH)
        on = " AND ".join(["d.file_id = t.file_id",
                           *(f"d.k{j} = t.{q('v_' + k)}" for j, k in enumerate(c.unique))])
        dup_join = f"LEFT JOIN hub_dups d ON {on}"
    rules = [_column_problem(col) for col in c.stored]
    for ident in c.identifiers:
        pid, prob = q(ident.name), q(ident.name + "__problem")
        label = ident.columns[0] if len(ident.columns) == 1 else "+".join(ident.columns)
        missing = _problem(label, "'required value missing'") if ident.required else None
        rules.append([(f"{prob} IS NOT NULL", _problem(label, prob)), (f"{pid} IS NULL", missing)])
    if c.unique:
        nonnull = " AND ".join(f"{q('v_' + k)} IS NOT NULL" for k in c.unique)
        rules.append([(f"{nonnull} AND __first IS NOT NULL AND __first <> row_number",
                       _problem(c.unique[0], "'duplicate of row ' || __first"))])
    for chk in c.checks:
        rules.append([(chk.bad, _problem(chk.field, reason_sql(chk)))])
    once = ""
    if c.once is not None:
        v, bad = q("v_" + c.once.column), _problem(c.once.column, lit(c.once.reason))
        # Stored before this batch...
        if not chunked:
            rules.append([(f"{v} IN ({c.once.stored})", bad)])
        else:  # ... (before its first chunk), or by an earlier file's rows in an earlier chunk
            rules.append([(f"{v} IN (SELECT * FROM hub_once_before) OR EXISTS ("
                           f"SELECT 1 FROM hub_once_loaded l WHERE l.k = {v} "
                           f"AND l.file_id < typed2.file_id)", bad)])
        # ... or loaded by an earlier file of the batch: the first file (in file order) with a
        # valid row for the key loads it; the same key in any later file is rejected. (The
        # first valid row is valid whatever comes after it, so this is exactly the outcome of
        # importing the files one by one.) The window carries every column, so it is added
        # only when a narrow scan finds a key in more than one file of the batch.
        key = _typed(c.column(c.once.column))
        repeated = con.execute(
            f"SELECT count(*) FROM (SELECT {key} AS k FROM hub_stg GROUP BY k "
            f"HAVING k IS NOT NULL AND count(DISTINCT file_id) > 1)").fetchone()[0]
        if repeated:
            once = (f", once AS (SELECT * REPLACE (CASE WHEN {v} IS NOT NULL AND "
                    f"min(file_id) FILTER (WHERE len(problems) = 0) OVER (PARTITION BY {v}) "
                    f"< file_id THEN list_append(problems, {bad}) ELSE problems END AS problems) "
                    f"FROM checked)")
    # Each rule's outcome is computed once per row (a small integer column); the list of
    # problems is built from the outcomes only for rows with a problem: a list of every rule's
    # (mostly NULL) struct on every row, then filtered, cost over half of validation. (Testing
    # the rules' conditions again in the CASE ran each table-querying rule twice, which ran
    # `vru demo` out of memory under the import's cap.)
    ruled = [(r, f"__o{k}") for k, r in enumerate(r for r in rules if r)]
    outcome_sql = ", ".join(f"{_rule_outcome(r)} AS {o}" for r, o in ruled)
    fails = " OR ".join(_rule_fails(r, o) for r, o in ruled)
    listed = ", ".join(_rule_problem(r, o) for r, o in ruled)
    problem_sql = (f"CASE WHEN {fails} THEN list_filter([{listed}], x -> x IS NOT NULL) "
                   f"ELSE []::STRUCT(field VARCHAR, reason VARCHAR)[] END")
    flags = [f"CASE WHEN {fl.when} THEN {lit(fl.name)} END" for fl in c.flags]
    flag_sql = (f"list_filter([{', '.join(flags)}], x -> x IS NOT NULL)" if flags
                else "[]::VARCHAR[]")
    # Kept per row: typed values, pseudonyms, problems, flags; the staged text only for
    # rejected rows (as the JSON stored in rejects.raw).
    raw_cols = [col.name for col in c.stored] + [i.name for i in c.identifiers]
    raw = "json_object(" + ", ".join(f"{lit(n)}, {q(n)}" for n in raw_cols) + ")"
    keep = ", ".join(["file_id", "row_number", *(q("v_" + col.name) for col in c.stored),
                      *(q(i.name) for i in c.identifiers), "problems", "flags",
                      *(f"__mk_id{slot}" for slot in range(len(c.people)))])
    hub_chk = con.execute(
        f"""WITH typed AS (SELECT s.*, {', '.join(typed)} FROM hub_stg s),
            typed2 AS (SELECT t.*{', d.__first' if c.unique else ''} FROM typed t {dup_join}),
            ruled AS (SELECT *, {outcome_sql} FROM typed2),
            checked AS (
                SELECT *, {problem_sql} AS problems,
                       {flag_sql} AS flags
                FROM ruled){once}
            SELECT {keep}, CASE WHEN len(problems) > 0 THEN {raw} END AS __raw
            FROM {'once' if once else 'checked'}"""
    ).to_arrow_table(ARROW_BATCH)
    con.execute("CREATE TEMP VIEW hub_ok AS SELECT * FROM hub_chk WHERE len(problems) = 0")
    return hub_chk, hub_grp


def reason_sql(chk: Check) -> str:
    """A check's reason as SQL: the text, then the offending value if the check names one."""
    if not chk.detail:
        return lit(chk.reason)
    return f"{lit(chk.reason + ': ')} || {chk.detail}"


CHECKED = "SELECT file_id, row_number, problems, __raw FROM hub_chk WHERE len(problems) > 0"
BROKEN = "SELECT file_id, row_number, field, reason, NULL AS raw FROM hub_bad"


def write_rejects(con: duckdb.DuckDBPyConnection, c: Contract, import_id: int,
                  checked: str | None = CHECKED, broken: str | None = BROKEN) -> None:
    """Every rejected row of the batch, file by file: failed checks (``checked``: rows with
    file_id, row_number, problems and the row as JSON ``__raw``), then structural faults
    (``broken``: file_id, row_number, field, reason, raw). The first failed rule names the
    field; the reason lists every failed rule."""
    one = "p.field || ': ' || p.reason" if c.reasons_name_field else "p.reason"
    parts = []
    if checked:
        parts.append(f"""SELECT file_id, row_number, problems[1].field AS field,
                      array_to_string(list_transform(problems, p -> {one}), '; ') AS reason,
                      __raw AS raw, 0 AS part FROM ({checked})""")
    if broken:
        parts.append(f"SELECT *, 1 AS part FROM ({broken})")
    con.execute(
        f"""INSERT INTO rejects
           SELECT ?, file_id, ?, ?, row_number, field, reason, raw FROM (
               {' UNION ALL '.join(parts)})
           ORDER BY file_id, part, row_number""",
        [import_id, c.source, c.kind],
    )



# Identifier pseudonym kinds -> their match_features column.
_ID_FEATURE = {"pnc_id": "pnc_pid", "nhs_number": "nhs_pid", "upn": "upn_pid"}
# A row's further persons (a crime's victim) are records of their own, keyed after the first's:
# record_key = file_id * 100,000,000 + slot * 50,000,000 + row_number.
RECORDS_PER_FILE = 100_000_000
ROLE_OFFSET = 50_000_000


def store_match_features(con: duckdb.DuckDBPyConnection, c: Contract, import_id: int) -> None:
    """One match_features row per person on each valid row of the batch: its identifier
    pseudonyms, sex, home LSOA and the keyed features made at staging (record linkage,
    vru.linkage)."""
    for slot, mk in enumerate(c.people):
        _store_person(con, c, mk, slot, import_id)


def _store_person(con: duckdb.DuckDBPyConnection, c: Contract, mk, slot: int,
                  import_id: int) -> None:
    from vru.privacy.matchkeys import FEATURE_VERSION, STORED_FEATURES

    names = {col.name for col in c.stored}
    ids = {}
    if slot == 0:  # the row's identifiers belong to its first person
        for ident in c.identifiers:
            col = _ID_FEATURE.get(ident.kind)
            if col and col not in ids:
                ids[col] = f"o.{q(ident.name)}"
    own_cols = ((mk.pid,) if isinstance(mk.pid, str) else mk.pid) if mk.pid else (
        (c.identifiers[0].name,) if c.identifiers and slot == 0 else ())
    own = (f"coalesce({', '.join('o.' + q(x) for x in own_cols)})" if own_cols else "NULL")
    sex = (f"CASE WHEN o.{q('v_' + mk.sex)} IN ('M', 'F') THEN o.{q('v_' + mk.sex)} END"
           if mk.sex in names else "NULL")
    lsoa = f"o.{q('v_' + mk.home_lsoa)}" if mk.home_lsoa in names else "NULL"
    when = f"CAST(o.{q('v_' + mk.date_column)} AS DATE)" if mk.date_column else "NULL"
    if slot and con.execute(f"SELECT max(row_number) >= {ROLE_OFFSET} FROM hub_ok").fetchone()[0]:
        raise ValueError(f"{c.source}/{c.kind}: a file with more than {ROLE_OFFSET:,} rows "
                         "cannot carry a second person per row for record linkage")
    feats = ", ".join(STORED_FEATURES)
    con.execute(
        f"""INSERT INTO match_features (record_key, source, kind, role, file_id, row_number,
                import_id, event_date, pid, pnc_pid, nhs_pid, upn_pid, sex, home_lsoa, {feats},
                feature_version)
            SELECT CAST(o.file_id AS BIGINT) * {RECORDS_PER_FILE} + {slot * ROLE_OFFSET}
                   + o.row_number, ?, ?, ?, o.file_id, o.row_number, ?,
                   {when}, {own}, {ids.get('pnc_pid', 'NULL')}, {ids.get('nhs_pid', 'NULL')},
                   {ids.get('upn_pid', 'NULL')}, {sex}, {lsoa},
                   {', '.join('mk.' + f for f in STORED_FEATURES)}, ?
            FROM hub_ok o LEFT JOIN hub_mk mk ON mk.mk_id = o.__mk_id{slot}
            WHERE {own} IS NOT NULL OR mk.fn_h IS NOT NULL OR mk.sn_h IS NOT NULL
               OR mk.dob_h IS NOT NULL""",
        [c.source, c.kind, mk.role, import_id, FEATURE_VERSION])


def drop_linkage_rows(con: duckdb.DuckDBPyConnection, c: Contract) -> int:
    """Record linkage's rows (match features, person links) follow their canonical rows: those
    whose row is gone (purged by retention, replaced by a resubmission) are deleted."""
    table = c.retention[0]
    kept = c.people[0].kept or (f"EXISTS (SELECT 1 FROM {table.table} t "
                                f"WHERE t.file_id = m.file_id AND t.row_number = m.row_number)")
    gone = f"source = ? AND kind = ? AND NOT ({kept})"
    keys = [r[0] for r in con.execute(
        f"SELECT record_key FROM match_features m WHERE {gone}", [c.source, c.kind]).fetchall()]
    if keys:
        con.execute("DELETE FROM person_links WHERE list_contains(?, record_key)", [keys])
        con.execute("DELETE FROM match_features WHERE list_contains(?, record_key)", [keys])
    return len(keys)
