"""One module per input format; installed as ``hardening.parsers``.

``interface`` is what a parser is (``Parser``: ``detect`` and ``parse``, with the optional
``severities`` table and ``sarif_dialect``); ``registry`` loads every parser class registered
under the ``hardening.parsers`` entry-point group, so a third party adds a format by shipping
its own class and entry point; ``_io`` holds the reading helpers parsers share.  Parsers turn
bytes into findings and runs and know nothing of rendering, publishing or the terminal.
"""
