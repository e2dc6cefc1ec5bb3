"""A student's id: one form for folders, manifest.csv, quiz answers, the roster and every export.

The id is the name of the student's folder in SUBMISSIONS_DIR, as written there (``s2026001``):
Unicode NFC, no surrounding spaces, letters, digits and ``. _ - @ +``. Everywhere else an id is
read (``--student``, a manifest row, an answers file's ``student:``, a roster) it is put in the
same form, and two ids name the same student when they are equal ignoring case (two folders that
differ only in case are refused as one student twice). A YAML number (``student: 2026001``) is
read as the text it was written with, so leading zeros survive.
"""

from __future__ import annotations

import re
import unicodedata

STUDENT_ID = re.compile(r"\w[\w.@+-]{0,127}")


def student_id(value: object) -> str:
    """``value`` as a student id: NFC, stripped; ``ValueError`` when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f"{value!r} is not a student id")
    text = unicodedata.normalize("NFC", str(value).strip())
    if not valid_student(text):
        raise ValueError(f"'{text}' is not a valid student id (letters, digits, . _ - @ +)")
    return text


def valid_student(text: str) -> bool:
    return bool(STUDENT_ID.fullmatch(text)) and not text.startswith(".")


def student_key(value: str) -> str:
    """What makes two ids the same student: the id ignoring case."""
    return unicodedata.normalize("NFC", str(value).strip()).casefold()


def same_student(a: object, b: object) -> bool:
    return student_key(str(a)) == student_key(str(b))
