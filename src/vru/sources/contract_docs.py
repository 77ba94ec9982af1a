"""Render a contract as the Markdown table in its user-guide page (docs/guide/hub-<source>.md).

A test checks that each page contains the current table, so the documented contract can never
drift from the one the code enforces.
"""

from __future__ import annotations

from vru.sources.contract import Column, Contract, Source

TYPE_TEXT = {
    "text": "text", "int": "whole number", "decimal": "number", "date": "date",
    "datetime": "date and time", "code": "code", "bool": "Y/N", "lsoa": "LSOA code",
    "postcode": "postcode", "icd10": "ICD-10 code", "time": "time HH:MM",
    "id": "identifier (pseudonymised)",
}


def _rule(c: Column) -> str:
    parts = []
    if c.codes:
        parts.append("one of " + ", ".join(f"`{v}`" for v in c.codes))
    if c.min is not None or c.max is not None:
        parts.append(f"{c.min:g} to {c.max:g}" if c.min is not None and c.max is not None
                     else f">= {c.min:g}" if c.min is not None else f"<= {c.max:g}")
    if c.max_length:
        parts.append(f"max {c.max_length} characters")
    if c.type in ("date", "datetime") and not c.future_ok:
        parts.append("not in the future")
    return "; ".join(parts)


def contract_table(contract: Contract) -> str:
    lines = [
        f"<!-- contract:{contract.source}/{contract.kind} (generated from the code; "
        "tests check it) -->",
        "| column | type | required | rules | meaning |",
        "|---|---|---|---|---|",
    ]
    required = contract.required_names()
    for c in contract.columns:
        lines.append(
            f"| `{c.name}` | {TYPE_TEXT[c.type]} | {'yes' if c.name in required else ''} | "
            f"{_rule(c)} | {c.description} |"
        )
    rules = [(chk.field, chk.reason) for chk in contract.checks]
    if contract.once is not None:
        rules.append((contract.once.column, contract.once.reason))
    if rules:
        lines.append("")
        lines.append("Row rules (a row breaking one is rejected with this reason):")
        lines.append("")
        for field_, reason in rules:
            lines.append(f"- `{field_}`: {reason}")
    if contract.flags:
        lines.append("")
        lines.append("Flags (the row loads, and its `flags` list notes it): "
                     + ", ".join(f"`{f.name}`" for f in contract.flags) + ".")
    if contract.unique:
        lines.append("")
        lines.append("Unique within a file: " + ", ".join(f"`{u}`" for u in contract.unique) + ".")
    return "\n".join(lines)


def source_tables(source: Source) -> str:
    out = []
    for c in source.contracts:
        out.append(f"### `{c.kind}`: {c.title}\n\n{contract_table(c)}\n")
    return "\n".join(out)
