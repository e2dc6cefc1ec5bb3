"""The faces of one verdict: plain-ANSI text for the terminal, HTML views and graph diagrams,
Markdown with math, the site theme's jinja2 environment, the self-contained HTML report.

May import: ``engine``, ``exercise``, ``grading``, ``quiz``.
"""
