"""Publish: the summary posted where the team reviews the change (the comment bot).

``interface`` holds what every forge shares (``Note``, ``NoteStore``, ``ApiError``, the retry
policy, the targets); ``comment`` the sticky-note algorithm, the size fitting and the dry run;
one module per forge (``github``, ``gitlab``) finds its merge or pull request and posts there;
``forges`` picks the forge; ``http_session`` keeps credentials on their origin.  Adding a
forge is one module (a target, a ``NoteStore``, ``publish``) and one branch in ``forges``.
"""
