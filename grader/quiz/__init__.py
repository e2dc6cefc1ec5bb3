"""Quizzes: models, per-student variants, answer keys from the engine, the safe expression parser
and its sympy judge, results, the interactive terminal quiz.

May import: ``engine``, ``exercise``, ``isolation``, ``grading``.
"""
