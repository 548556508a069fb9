"""One module per input format; installed as ``hardening.parsers``.

Each parser class is registered under the ``hardening.parsers`` entry-point group, so a third
party adds a format by shipping its own class and entry point.
"""
