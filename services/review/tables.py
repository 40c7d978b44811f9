"""Tables of the review context: the IGA report index and the report files.

Both are disposable: every report can be rebuilt from its ReportedToIGA events (which carry the
report id, year, time, actor and each innovation's version), and the files are regenerated
byte-identically from that. They exist so a report is found and downloaded without a log scan.
"""

from __future__ import annotations

SCHEMA = [
    """CREATE TABLE IF NOT EXISTS iga_reports (
        report_id TEXT PRIMARY KEY,
        year INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_by_name TEXT NOT NULL,
        notification_id BIGINT NOT NULL,
        items TEXT NOT NULL,
        warnings TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS iga_reports_year ON iga_reports (year, created_at)",
    """CREATE TABLE IF NOT EXISTS iga_report_files (
        report_id TEXT NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        content BYTEA NOT NULL,
        PRIMARY KEY (report_id, name)
    )""",
]
