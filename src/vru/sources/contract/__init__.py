"""Contract-driven import of partner files: one engine for every source.

The package: ``model`` (the contract dataclasses a source declares; public and stable),
``planning`` (files, headers, contract choice), ``readers`` (CSV/Excel/other forms as rows of
text), ``sql`` (staging, typed values, row rules, rejects: SQL generated from the contract),
``loading`` (helpers for loaders) and ``engine`` (the import run itself).

A source module declares its *contract* (columns, types, required fields, code lists, identifier
columns, cross-field checks, flags) and a small loader that maps validated rows onto canonical
tables. This engine does everything else, the same way for every source:

1. plan: find the files (CSV, .csv.gz, XLSX, ZIP members, and source-specific forms such as the
   ISTV XML), read each header, pick the contract whose columns match, refuse the whole import
   (naming file and columns) before touching the workspace if any file is unusable;
2. governance: refuse a source without a data-sharing agreement in force; load the
   pseudonymisation key (never stored) and refuse a key that differs from the workspace's;
3. skip files whose content checksum is already loaded (re-import is a no-op);
4. stage the files in DuckDB with every value as text, in *batches*: files with the same contract
   and header are staged, validated and loaded together (at most ``BATCH_FILES`` files and about
   ``BATCH_BYTES``), every row carrying its ``file_id`` and its ``row_number`` within its file, so
   that a folder of many small files pays DuckDB's fixed planning cost once per batch, not once
   per file. Everything below still holds per file. Identifier columns are replaced by
   pseudonyms *in the staging query itself*: the distinct raw values are mapped in memory
   (normalise, check, keyed HMAC) and joined in, so no table, temp table, log, reject or error
   message ever holds a raw identifier;
5. validate in SQL: typed values, required fields, code lists, ranges, dates not in the future,
   duplicates, cross-field checks; every failing row goes to ``rejects`` with file, row, field and
   reason (raw = the staged row, identifiers pseudonymised);
6. load the good rows through the source's loader; record provenance in ``source_files`` and
   ``imports``; check read = loaded + rejected per file;
7. apply resubmissions (``partition``) in file order: a later file with the same key replaces the
   earlier one, whether it came in an earlier import or earlier in this one.

All files of one import run are loaded in one ``ws.transaction()``: any failure leaves the
workspace as it was.
"""

from __future__ import annotations

from vru.sources.contract.engine import BATCH_BYTES, BATCH_FILES, XLSX_WEIGHT, import_source
from vru.sources.contract.loading import gps_pings_loader, inserted, project_bng, project_lonlat
from vru.sources.contract.model import (
    GB_LONLAT_CHECKS,
    TYPES,
    Check,
    Column,
    Contract,
    Flag,
    FormReader,
    Identifier,
    LoadContext,
    Loader,
    MatchKeys,
    Once,
    RetentionTarget,
    Source,
    quasi_identifier_columns,
)
from vru.sources.contract.planning import choose_contract, normalise_header, plan
from vru.sources.contract.readers import excel_text
from vru.sources.results import FileResult, ImportSummary, ProgressFn

__all__ = [
    "BATCH_BYTES", "BATCH_FILES", "GB_LONLAT_CHECKS", "TYPES", "XLSX_WEIGHT", "Check", "Column",
    "Contract", "FileResult", "Flag", "FormReader", "Identifier", "ImportSummary", "LoadContext",
    "Loader", "MatchKeys", "Once", "ProgressFn", "RetentionTarget", "Source", "choose_contract", "excel_text",
    "gps_pings_loader", "import_source", "inserted", "normalise_header", "plan", "project_bng", "project_lonlat",
    "quasi_identifier_columns",
]
