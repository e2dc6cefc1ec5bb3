"""Grading one submission: probes (what to call, with which inputs), comparison with the reference,
blame, mistake diagnosis, the end-to-end effect, verdicts, their words in Korean and English
(``explain``), ``grade check``'s audit, and the one chain ``api.submit``.

May import: ``engine``, ``exercise``, ``isolation``.
"""
