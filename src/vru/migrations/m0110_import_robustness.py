"""Partner import robustness: each file's encoding and warnings, each import's files not imported.

``source_files.encoding``: the encoding a text file was decoded with (utf-8, utf-8-sig, utf-16,
cp1252, or an override); ``source_files.warnings``: what was noticed but did not stop the file
(columns ignored, hidden sheets, title rows skipped); ``imports.not_imported``: every file found
in a folder or archive but not imported, with the reason ("path: why").
"""

SQL = """
ALTER TABLE source_files ADD COLUMN encoding VARCHAR;
ALTER TABLE source_files ADD COLUMN warnings VARCHAR[];
ALTER TABLE imports ADD COLUMN not_imported VARCHAR[];
"""


def up(con) -> None:
    for stmt in SQL.split(";"):
        if stmt.strip():
            con.execute(stmt)
