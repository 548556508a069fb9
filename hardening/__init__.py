"""hardening: one normalized, baseline-aware, report-only summary of security scanner reports."""

__version__ = "0.1.0"
