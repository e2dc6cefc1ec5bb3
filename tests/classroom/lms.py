"""Archives named the way the LMSs name them (intake.py's docstring), for tests and for trying a semester.

Canvas (lib/content_zipper.rb): ``<sortable name, lower case, word characters only>[_LATE]_<user id>_
<file id>_<file name>``, a resubmitted file of the same name renamed ``name-1.py``; entries dated when
the zip is made. Moodle (mod/assign, "download as folders"): ``<Full Name>_<participant>_
assignsubmission_file_/<file name>``.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Person:
    student: str
    first: str
    last: str
    lms_id: int
    email: str = ""

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"


def canvas_name(p: Person, file_id: int, filename: str, late: bool = False) -> str:
    key = re.sub(r"[\W_]", "", f"{p.last}, {p.first}".lower())
    return f"{key}{'_LATE' if late else ''}_{p.lms_id}_{file_id}_{filename}"


def moodle_name(p: Person, participant: int, filename: str) -> str:
    return f"{p.full.replace('_', ' ')}_{participant}_assignsubmission_file_/{filename}"


def write_zip(path: Path, files: dict[str, str | bytes], date=(2026, 3, 16, 9, 30, 0)) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            info = zipfile.ZipInfo(name, date_time=date)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return path


def write_roster(path: Path, people: list[Person], lms: bool = True) -> Path:
    lines = ["student,name,email,lms_id" if lms else "student,name,email"]
    for p in people:
        email = p.email or f"{p.student}@example.edu"
        lines.append(f'{p.student},"{p.last}, {p.first}",{email}' + (f",{p.lms_id}" if lms else ""))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
