#!/usr/bin/env python3
"""Refresh what the site vendors from the npm registry, in one command: ``python3 scripts/vendor.py``.

- Pyodide (CPython in WebAssembly, for the practice panel): the core files a page needs, from
  ``npm pack pyodide@VERSION``.
- CodeMirror 6 with Python highlighting (the practice editor): bundled into one script with esbuild.

Each is written under ``site/static/vendor/`` with its licence, and ``site/static/vendor/VENDORED.json``
records names, versions, licences and the sha256 of every file. Change a version below, run this,
review the diff, run the tests. Needs node and npm (the build of the site itself does not).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "site" / "static" / "vendor"

PYODIDE = "314.0.8"
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
CODEMIRROR = {
    "codemirror": "6.0.2",
    "@codemirror/lang-python": "6.2.1",
    "@codemirror/view": None,  # the versions codemirror itself asks for
    "@codemirror/state": None,
    "@codemirror/commands": None,
}
ESBUILD = "0.28.2"
EDITOR_ENTRY = """
import {basicSetup} from "codemirror";
import {EditorView, keymap} from "@codemirror/view";
import {EditorState} from "@codemirror/state";
import {indentWithTab} from "@codemirror/commands";
import {python} from "@codemirror/lang-python";
window.GradeEditor = {EditorView, EditorState, basicSetup, keymap, indentWithTab, python};
"""


def run(*args: str, cwd: Path) -> str:
    return subprocess.run(args, cwd=cwd, check=True, capture_output=True, text=True).stdout


def pyodide(work: Path) -> dict:
    name = run("npm", "pack", f"pyodide@{PYODIDE}", "--silent", cwd=work).strip().splitlines()[-1]
    with tarfile.open(work / name) as tar:
        tar.extractall(work / "pyodide", filter="data")
    package = work / "pyodide" / "package"
    out = VENDOR / "pyodide"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for file in PYODIDE_FILES:
        shutil.copy2(package / file, out / file)
    (out / "LICENSE").write_text(
        "Pyodide is distributed under the Mozilla Public License 2.0 (https://mozilla.org/MPL/2.0/);\n"
        "the CPython it contains under the Python Software Foundation License.\n"
        f"These files are unmodified from the npm package pyodide@{PYODIDE}.\n",
        encoding="utf-8",
    )
    meta = json.loads((package / "package.json").read_text(encoding="utf-8"))
    return {"name": "pyodide", "version": meta["version"], "license": meta["license"], "folder": "pyodide"}


def codemirror(work: Path) -> dict:
    build = work / "codemirror"
    build.mkdir()
    run("npm", "init", "-y", cwd=build)
    wanted = [f"{n}@{v}" if v else n for n, v in CODEMIRROR.items()] + [f"esbuild@{ESBUILD}"]
    run("npm", "install", "--silent", "--no-audit", "--no-fund", *wanted, cwd=build)
    (build / "entry.js").write_text(EDITOR_ENTRY, encoding="utf-8")
    out = VENDOR / "codemirror"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    esbuild = build / "node_modules" / ".bin" / "esbuild"
    run(
        str(esbuild),
        "entry.js",
        "--bundle",
        "--minify",
        "--format=iife",
        f"--outfile={out / 'codemirror.js'}",
        cwd=build,
    )
    shutil.copy2(build / "node_modules" / "codemirror" / "LICENSE", out / "LICENSE")
    versions = {}
    for folder in sorted((build / "node_modules").glob("**/package.json")):
        if folder.parent.parent.name in ("node_modules", "@codemirror", "@lezer", "@marijn"):
            meta = json.loads(folder.read_text(encoding="utf-8"))
            if "esbuild" not in meta.get("name", ""):
                versions[meta["name"]] = meta.get("version")
    return {
        "name": "codemirror",
        "version": versions.get("codemirror"),
        "license": "MIT",
        "folder": "codemirror",
        "bundled": dict(sorted(versions.items())),
    }


def files_of(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def main() -> int:
    if not shutil.which("npm"):
        print("scripts/vendor.py needs npm", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        entries = [pyodide(Path(tmp)), codemirror(Path(tmp))]
    record = VENDOR / "VENDORED.json"
    old = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
    for entry in entries:
        entry["files"] = files_of(VENDOR / entry["folder"])
        old[entry["name"]] = entry
    record.write_text(json.dumps(old, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    for entry in entries:
        size = sum((VENDOR / entry["folder"] / f).stat().st_size for f in entry["files"])
        print(f"{entry['name']} {entry['version']} ({entry['license']}): {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
