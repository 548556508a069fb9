"""History: every pipeline's findings kept in a database, for trends and gate calibration.

``hardening history record`` stores one pipeline's ``findings.json``; ``import-gitlab``
backfills past pipelines from their artifacts; ``report`` computes trends (open by severity,
new, fixed and reopened per pipeline, time to fix, gate calibration, flapping and noisy rules,
scanner drift) and writes ``trends.json`` and ``trends.html``.  SQLite by default, PostgreSQL
through psycopg 3, one SQLAlchemy Core schema for both.

Storage grows with change, not with pipelines x findings: per fingerprint the short summary the
baseline keeps and its open intervals (the pipelines it was present in), plus counts per
pipeline.  Nothing here imports SQLAlchemy at module level except ``schema``, ``store`` and
``trends``, which only the history commands and ``aggregate --history`` load.
"""
