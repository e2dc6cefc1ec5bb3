"""``grade init EXERCISE --format ipynb``: a student's starting notebook.

The description (Markdown with its $…$ formulas) and the public points; the graph drawn as an SVG
attachment of a Markdown cell, with each node written out in text beside it (for viewers that do
not show attachments); ``import math`` when it is allowed; one code cell per task function with
the signature and docstring of ``grade init``'s ``.py`` stub; and a last cell that checks the work
in place. The graph shows the structure only: its values and gradients are what students compute.
The notebook's metadata names the exercise and the language (``metadata.grader``), so a renamed
copy ("Copy of exercise03.ipynb") still grades.
"""

from __future__ import annotations

import base64
import json

from grader.engine import GATES
from grader.exercise.spec import Exercise
from grader.exercise.stubs import function_stub, gate_text
from grader.grading.explain import fmt
from grader.report import diagram
from grader.report import views as site_views

WORDS = {
    "graph": ("계산 그래프", "The computational graph"),
    "nodes": ("노드", "Nodes"),
    "points": ("공개 점검 점 (채점할 때는 무작위 점도 더 씁니다)", "Public check points (grading adds random points)"),
    "write": (
        "아래 각 셀의 함수를 완성하세요. 셀을 실행한 뒤 마지막 셀로 확인합니다.",
        "Fill in the function in each cell below, run the cells, then check your work with the last cell.",
    ),
    "check": ("확인", "Check your work"),
    "check_text": (
        "이 셀은 이 커널에서 실행한 셀의 함수들을 `grade submit`과 똑같이 (격리된 프로세스에서) 채점하고, "
        "그래프와 함께 틀린 노드를 보여줍니다. 함수를 고쳤다면 그 셀을 다시 실행한 뒤 이 셀을 실행하세요. "
        "제출 파일 채점: `grade submit {id}.ipynb`.",
        "This cell grades the functions of the cells you have run in this kernel, exactly as `grade submit` "
        "does (in an isolated process), and shows the graph with the wrong node. After changing a function, "
        "run its cell again, then this one. To grade the saved file: `grade submit {id}.ipynb`.",
    ),
}


def _w(key: str, lang: str, **kw) -> str:
    return WORDS[key][0 if lang == "ko" else 1].format(**kw)


def _source(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def _markdown(text: str, attachments: dict | None = None) -> dict:
    cell = {"cell_type": "markdown", "metadata": {}, "source": _source(text)}
    if attachments:
        cell["attachments"] = attachments
    return cell


def _code(text: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": _source(text)}


def _node_lines(ex: Exercise, lang: str) -> list[str]:
    lines = []
    for node in ex.built.nodes:
        args = ", ".join(a if isinstance(a, str) else fmt(float(a)) for a in node.args)
        gate = GATES[node.op]
        lines.append(f"- `{node.name} = {node.op}({args})`: {gate.title[lang]}, {gate_text(ex, node.op)}")
    return lines


def cells(ex: Exercise, lang: str) -> list[dict]:
    other = "en" if lang == "ko" else "ko"
    head = f"# {ex.id}: {ex.title.get(lang)}\n\n*{ex.title.get(other)}*\n\n{ex.description.get(lang).strip()}\n"
    points = "\n".join(
        f"- public-{i + 1}: " + ", ".join(f"${k} = {fmt(float(v))}$" for k, v in p.items())
        for i, p in enumerate(ex.points)
    )
    svg = diagram.draw(ex.built, uid=f"{ex.id}-stub", labels=site_views.node_labels(ex))
    graph = (
        f"## {_w('graph', lang)}\n\n![{ex.id}](attachment:graph.svg)\n\n"
        f"{_w('nodes', lang)} ({', '.join(ex.graph.inputs)} → {ex.graph.output}):\n\n"
        + "\n".join(_node_lines(ex, lang))
        + f"\n\n{_w('points', lang)}:\n\n{points}\n\n{_w('write', lang)}\n"
    )
    out = [
        _markdown(head),
        _markdown(graph, {"graph.svg": {"image/svg+xml": base64.b64encode(svg.encode()).decode()}}),
    ]
    imports = "".join(f"import {m}\n" for m in ex.allowed_imports if m == "math")
    if imports:
        out.append(_code(imports.rstrip("\n")))
    out += [_code(function_stub(ex, task).rstrip("\n")) for task in ex.tasks]
    out.append(_markdown(f"## {_w('check', lang)}\n\n{_w('check_text', lang, id=ex.id)}\n"))
    out.append(_code(f'from grader.notebook import check\n\ncheck("{ex.id}", lang="{lang}")'))
    return out


def stub_notebook(ex: Exercise, lang: str = "ko") -> str:
    """The notebook as nbformat 4.5 JSON text (cell ids are stable: the file is the same on every run)."""
    cell_list = cells(ex, lang)
    for i, cell in enumerate(cell_list):
        cell["id"] = f"{ex.id}-{i + 1}"
    nb = {
        "cells": cell_list,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
            "grader": {"exercise": ex.id, "lang": lang},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return json.dumps(nb, ensure_ascii=False, indent=1) + "\n"
