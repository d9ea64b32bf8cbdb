"""One module per command-line command, each exposing ``run(...)``.

Modules here import heavy libraries inside ``run`` only, so that ``sarcohort --help``
starts fast.
"""
