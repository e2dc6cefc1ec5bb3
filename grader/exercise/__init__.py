"""Exercises: the models (``spec``), YAML loading with file, line and key on every error (``loader``),
the validated-exercise cache, check points (``points``), student stubs, and where the shipped course
lives (``shipped``).

May import: ``engine``.
"""
