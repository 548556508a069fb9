"""hardening: one normalized, baseline-aware, report-only summary of security scanner reports.

The data flow reads from the file list: artifacts -> ``discover`` -> ``parsers/`` ->
``reading`` (normalize, fingerprint) -> ``filters`` -> ``pipeline`` (merge, ``diff`` against
the ``baseline``, ``gate``) -> ``render/`` (the outputs) -> ``publish/`` (the comment bot);
``history/`` keeps every pipeline's findings.  Layers, top to bottom (a module imports its
own layer and those below): face (``cli``, ``__main__``, ``ci``), flow (``pipeline``,
``reading``, ``discover``, ``profiles``, ``progress``, ``history/``, ``snapshot``), publish,
render, parsers, baseline (``baseline``, ``config``, ``diff``, ``gate``), core (``model``,
``errors``, ``paths``, ``redact``, ``fingerprint``, ``filters``, ``severity``, ``correlate``,
``report_io``, ``jsonread``, ``targets``); ``pyproject.toml``'s import-linter contracts
hold them.
"""

__version__ = "0.1.0"
