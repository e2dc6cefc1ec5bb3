"""Jupyter: ``.ipynb`` submissions read cell by cell, the in-notebook ``check()``, notebook stubs,
watch mode. ``from grader.notebook import check`` is the call written into every notebook stub.

May import: every wing up to ``report``.
"""


def __getattr__(name: str):
    """``check`` is loaded on first use, so that importing a notebook helper does not load the grader."""
    if name == "check":
        from grader.notebook.checker import check

        return check
    raise AttributeError(name)
