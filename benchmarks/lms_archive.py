"""Make an LMS-shaped class to try a semester on: a roster and a "download all submissions" archive.

    python benchmarks/lms_archive.py --students 300 --lms canvas --out /tmp/term
    python benchmarks/lms_archive.py --students 300 --lms moodle --out /tmp/term

Writes ``roster.csv`` and ``<lms>-<item>.zip`` (one archive per item, as Canvas and Moodle give them:
one per assignment) named the way the LMS names files (tests/classroom/lms.py). The class: most files
are the reference solution, a third carry a classic mistake (a flipped sign), a few do not parse, a
few students resubmit (Canvas renames the file ``exercise04-1.py``), some hand in a notebook, some are
late, a few hand in nothing, a few are not on the roster, a few misname their file. Also writes
``times-<item>.json`` in the shape of Canvas's Submissions API for the Canvas archives.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.batch.helpers import solution, wrong  # noqa: E402
from tests.classroom.lms import Person, canvas_name, moodle_name, write_roster, write_zip  # noqa: E402

FIRST = ["Minji", "Jun", "Seo-yeon", "Hyun", "Ji-woo", "Ana", "Tom", "Li", "Omar", "Sofia", "Yuki", "Ravi"]
LAST = ["Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Garcia", "Smith", "Nguyen", "Chen", "Tanaka", "Singh"]
DEADLINE = datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)


def people(n: int) -> list[Person]:
    out = []
    for i in range(n):
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
        out.append(Person(f"s{2026000 + i + 1}", f"{first}{i // 144 or ''}", last, 48000 + i))
    return out


def notebook(item: str) -> str:
    from nbformat import writes

    from tests.notebook.helpers import filled_stub

    return writes(filled_stub(item))


def make(out: Path, students: int, lms: str, items: list[str], seed: int = 7) -> None:
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    class_ = people(students)
    write_roster(out / "roster.csv", class_)
    strangers = [Person(f"x{i}", "Visiting", f"Student{i}", 99000 + i) for i in range(3)]
    file_id = 10_000
    for item in items:
        files, times = {}, []
        for n, p in enumerate(class_ + strangers):
            roll = rng.random()
            if roll < 0.04:
                continue  # hands in nothing
            body = wrong(item) if roll < 0.33 else solution(item)
            if roll > 0.97:
                body = "def broken(:\n"
            name, suffix = item, "py"
            if 0.33 <= roll < 0.40:
                body, suffix = notebook(item), "ipynb"
            if 0.95 < roll <= 0.97:
                name = item.replace("0", "", 1)  # exercise4.py: misnamed
            late = rng.random() < 0.1
            hours = rng.randint(1, 72) if late else -rng.randint(1, 200)
            when = DEADLINE + timedelta(hours=hours)
            file_id += 1
            if suffix == "py":
                body = f"# {p.student}\n{body}"  # every file distinct, as students' files are
            if lms == "canvas":
                if rng.random() < 0.05:  # resubmitted: the earlier upload of the same name makes Canvas rename
                    files[canvas_name(p, file_id, f"{name}.{suffix}", late)] = f"# first try\n{wrong(item)}"
                    file_id += 1
                    files[canvas_name(p, file_id, f"{name}-1.{suffix}", late)] = body
                else:
                    files[canvas_name(p, file_id, f"{name}.{suffix}", late)] = body
                times.append({"user_id": p.lms_id, "submitted_at": when.isoformat(), "late": late})
            else:
                files[moodle_name(p, 1000 + n, f"{name}.{suffix}")] = body
        write_zip(out / f"{lms}-{item}.zip", files)
        if lms == "canvas":
            (out / f"times-{item}.json").write_text(json.dumps(times))
        print(f"{out / f'{lms}-{item}.zip'}: {len(files)} files")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--lms", choices=("canvas", "moodle"), default="canvas")
    parser.add_argument("--items", nargs="+", default=["exercise04", "exercise05", "exercise08"])
    parser.add_argument("--out", type=Path, default=Path("term"))
    args = parser.parse_args()
    make(args.out, args.students, args.lms, args.items)


if __name__ == "__main__":
    main()
