"""A class: the submissions folder, batch grading with local and Dask executors, the worker that
grades one submission of a batch, the SQLite gradebook, course.yaml, exports, summaries.

May import: every wing up to ``notebook``.
"""
