"""Render: the outputs, one module each, reading the model only and re-deriving nothing.

``interface`` is what an output is (``Renderer``: a file name and ``write``); ``registry``
lists the outputs ``aggregate --out`` writes and gives the CLI its ``--format`` choices.
Beside them the pieces outputs share: ``links`` (where a finding is, advisory and source
links), ``text`` (safe one-line text), ``jsonstream`` (streamed JSON); ``terminal`` and
``inspect_view`` are what the CLI prints.  Adding an output is one module with a ``Renderer``
and one ``OutputFormat`` member.
"""
