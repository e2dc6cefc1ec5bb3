"""The only place where the steps are chained: load → points → child → compare → verdict.

Every function here returns data; printing and exit codes belong to ``cli``.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from grader.engine import EvaluationError
from grader.engine import trace as reference_trace
from grader.errors import UsageError
from grader.exercise.loader import find_exercise
from grader.exercise.points import Point, draw_points, hidden_points, submission_seed
from grader.exercise.spec import Exercise
from grader.grading import borderline, effect, explain, routines
from grader.grading.compare import grade_task
from grader.grading.probes import Probe, call_for, describe_call, flow_order, guards, probes_for, signature_problem
from grader.grading.verdict import Failure, TaskResult, Verdict, Why
from grader.isolation.sandbox import Limits, LoadReport, Session

MAX_SOURCE_BYTES = 256 * 1024


def read_submission(path: Path) -> tuple[str | None, Failure | None]:
    """The file's text, or a ``bad_file`` failure the student can act on."""
    try:
        with open(path, "rb") as handle:
            links = os.fstat(handle.fileno()).st_nlink
            raw = handle.read()
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a .py file") from None
    if links > 1:
        return None, hard_link_failure(links)
    if len(raw) > MAX_SOURCE_BYTES:
        return None, Failure(
            "bad_file", Why("bad_file", {"message": f"the file is larger than {MAX_SOURCE_BYTES // 1024} KB"})
        )
    if b"\0" in raw:
        return None, Failure("bad_file", Why("bad_file", {"message": "the file is binary, not Python source"}))
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, Failure("bad_file", Why("bad_file", {"message": f"the file is not UTF-8 text (byte {exc.start})"}))


def hard_link_failure(links: int) -> Failure:
    """A file with several names may be another file's (the course secret's): never graded and shown."""
    message = f"the file is a hard link ({links} names for one file) and is not graded: submit a copy of it"
    return Failure("bad_file", Why("bad_file", {"message": message}))


def holds_secret(text: str | bytes, secret: str | None) -> Failure | None:
    """A file holding the course secret is not graded: its messages (a ``NameError`` names the source's
    words) would print the secret on a student's page. A secret under 8 characters (a test's) is not
    looked for: ordinary code could hold it."""
    if not secret or len(secret) < 8:
        return None
    needle = secret.encode("utf-8", "surrogatepass") if isinstance(text, bytes) else secret
    if needle in text:
        return Failure("bad_file", Why("bad_file", {"message": "the file holds the course secret and is not graded"}))
    return None


def submit(
    path: Path,
    exercise: str | Exercise | None = None,
    student: str | None = None,
    lang: str = "en",
    exercises_dir: Path | None = None,
    secret: str | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """Grade one student file. ``secret`` draws hidden points (instructor grading), per ``student``
    (per file without one)."""
    ex = exercise if isinstance(exercise, Exercise) else find_exercise(exercise or path.stem, exercises_dir)
    source, failure = read_submission(path)
    if source is None:
        return explain.localize(failed_verdict(ex, student, failure), lang)
    return submit_source(ex, source, str(path.name), student, lang, secret, limits)


def submit_source(
    ex: Exercise,
    source: str,
    filename: str,
    student: str | None = None,
    lang: str = "en",
    secret: str | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """Grade a submission's text: what ``submit`` does once the file is read (and what the site's
    practice panel runs in the browser, so that both give the same verdict)."""
    return explain.localize(verdict_of(ex, source, filename, student, secret, limits), lang)


def verdict_of(
    ex: Exercise,
    source: str,
    filename: str,
    student: str | None = None,
    secret: str | None = None,
    limits: Limits | None = None,
) -> Verdict:
    """A submission's text graded, not yet put into words: refused if it holds the secret, else at
    the hidden points (with a secret) or the points its content draws. The notebook wing moves its
    lines into cells before the words are written."""
    refused = holds_secret(source, secret)
    if refused is not None:
        return failed_verdict(ex, student, refused)
    points = hidden_points(ex, secret, student, source) if secret else draw_points(ex, submission_seed(source))
    return grade_source(ex, source, filename, points, student, limits)


def failed_verdict(ex: Exercise, student: str | None, failure: Failure, output: str = "") -> Verdict:
    return Verdict(
        ex.id,
        student,
        "error",
        0.0,
        ex.max_score,
        failure,
        output=output,
        points={f"public-{i + 1}": dict(p) for i, p in enumerate(ex.points)},
    )


def _load_failure(report: LoadReport, seconds: float) -> Failure:
    params = {"message": report.message, "line": report.line}
    code = report.kind
    if report.kind == "timeout":
        code, params["message"] = "load_timeout", f"loading the file took more than {seconds:g} s"
    if code not in explain.T:
        code = "crash"
    return Failure(report.kind or "crash", Why(code, params), line=report.line)


def grade_source(
    ex: Exercise, source: str, filename: str, points: list[Point], student: str | None, limits: Limits | None = None
) -> Verdict:
    lim = limits or Limits(ex.limits.seconds_per_call, ex.limits.seconds_to_load, ex.limits.memory_mb)
    functions = [t.function for t in ex.tasks]
    probes = probes_for(ex, points)
    with Session(source, filename, ex.id, functions, ex.allowed_imports, lim) as session:
        report = session.load()
        if not report.ok:
            return failed_verdict(ex, student, _load_failure(report, lim.seconds_to_load), session.output)
        if not any(report.functions.get(f) for f in functions):
            why = Why("no_function", {"functions": ", ".join(functions)})
            return failed_verdict(ex, student, Failure("missing_function", why), session.output)
        calls, task_errors = _calls(ex, probes, report.functions)
        # What a function prints at a hidden point would reveal the point: keep only what loading printed.
        withheld = any(p.label.startswith("hidden-") for p in points)
        load_output = session.output if withheld else ""
        # Hidden points last: a function could remember a hidden point's inputs and hand them back
        # at a public point, whose values the report shows. Once the child has seen them, nothing
        # it answers is shown (only pass or fail at the hidden points themselves).
        # Within each run, flow_order keeps every input from giving away a later check's answer.
        late = [probes[c.id].point.label.startswith("hidden-") for c in calls]
        first = flow_order(ex, probes, [c for c, hidden in zip(calls, late, strict=True) if not hidden])
        last = flow_order(ex, probes, [c for c, hidden in zip(calls, late, strict=True) if hidden])
        results = session.run(first)
        ask = _reusing(session.run, first, results)
        effects = _effects(ex, points, probes, results, report.functions, ask, task_errors)
        results.update(session.run(last))
        tasks = []
        for i, task in enumerate(ex.tasks):
            if i in task_errors:
                hint = {"ko": task.hint.ko, "en": task.hint.en} if task.hint else None
                tasks.append(
                    TaskResult(task.function, task.kind, 0.0, task.score, False, error=task_errors[i], hint=hint)
                )
                continue
            mine = [(pid, p) for pid, p in enumerate(probes) if p.task == i]
            graded = (
                routines.grade(ex, task, mine, results)
                if task.kind in routines.KINDS
                else grade_task(ex, i, task, mine, results, points)
            )
            tasks.append(borderline.review(ex, task, graded, mine, results))
        output = load_output if withheld else session.output
    score = round(sum(t.score for t in tasks), 4)
    return Verdict(
        ex.id,
        student,
        "graded",
        score,
        ex.max_score,
        None,
        tuple(tasks),
        output,
        points={p.label: p.values for p in points if p.public},
        effect=effects,
        output_withheld=withheld,
    )


def _calls(ex: Exercise, probes: list[Probe], signatures: dict[str, dict | None]):
    calls, errors = [], {}
    reveal = guards(probes, ex.tolerance, [t.kind for t in ex.tasks])
    for pid, probe in enumerate(probes):
        if probe.task in errors:
            continue
        task = ex.tasks[probe.task]
        sig = signatures.get(task.function)
        if sig is None:
            errors[probe.task] = Failure("missing_function", Why("missing_function", {"function": task.function}))
            continue
        if sig.get("not_function"):
            errors[probe.task] = Failure(
                "bad_signature", Why("not_function", {"function": task.function, "what": sig["not_function"]})
            )
            continue
        where = f"{probe.point.label}" + (f", node {probe.node}" if probe.node else "")
        call = call_for(pid, probe, task, sig, where, reveal[pid])
        problem = signature_problem(sig, call)
        if problem:
            node = ex.built.by_name.get(probe.node or "")
            errors[probe.task] = Failure(
                "bad_signature",
                Why(
                    "bad_signature",
                    {
                        "function": task.function,
                        "problem": problem,
                        "line": sig.get("line"),
                        "call": describe_call(task, node, len(probe.args)),
                    },
                ),
                line=sig.get("line"),
            )
            calls = [c for c in calls if probes[c.id].task != probe.task]
            continue
        calls.append(call)
    return calls, errors


def _reusing(run, made: list, results: dict):
    """``run`` for the end-to-end rounds, answering a call already made (same function, same
    arguments: what a correct student's gates pass on) from its first result, without the child."""

    def key(call) -> tuple:
        return call.fn, repr(call.args), repr(sorted(call.kwargs.items()))

    known = {key(c): results[c.id] for c in made if c.id in results}

    def ask(calls: list) -> dict:
        fresh = [c for c in calls if key(c) not in known]
        got = run(fresh) if fresh else {}
        return {c.id: got[c.id] if c.id in got else replace(known[key(c)], id=c.id) for c in calls}

    return ask


def _effects(ex, points, probes, results, signatures, ask, task_errors):
    public = [p for p in points if p.public]
    sigs = {k: v for k, v in signatures.items() if v}
    ok_tasks = [t for i, t in enumerate(ex.tasks) if i not in task_errors]
    found = ()
    if any(t.kind in ("local_grad", "backward") for t in ok_tasks):
        answers = {
            (p.node, p.point.label): results[pid].value
            for pid, p in enumerate(probes)
            if pid in results and results[pid].ok and ex.tasks[p.task].kind == "local_grad"
        }
        answers = {k: (v if isinstance(v, list) else [v]) for k, v in answers.items()}
        found += effect.backward_effect(ex, public, answers, sigs, ask)
    if any(t.kind == "forward" for t in ok_tasks):
        found += effect.forward_effect(ex, public, sigs, ask)
    for i, task in enumerate(ex.tasks):
        if task.kind == "step" and i not in task_errors:
            answers = {
                p.point.label: results[pid].value
                for pid, p in enumerate(probes)
                if p.task == i and pid in results and results[pid].ok
            }
            found += effect.step_effect(ex, task, public, answers)
    return found


# --------------------------------------------------------------------------- trace


def trace(exercise: str, at: dict[str, float], exercises_dir: Path | None = None) -> dict:
    """The reference's value and gradient at every node (SPEC.md, ``grade trace --json``)."""
    ex = find_exercise(exercise, exercises_dir)
    point = {k: float(v) for k, v in ex.points[0].items()}
    for name, value in at.items():
        if name not in ex.graph.inputs:
            raise UsageError(
                f"--at {name}=…: '{name}' is not an input of {ex.id} (inputs: {', '.join(ex.graph.inputs)})"
            )
        point[name] = value
    try:
        tr = reference_trace(ex.built, point)
    except EvaluationError as exc:
        raise UsageError(f"the reference is undefined at this point: {exc}") from None
    graph = ex.built
    return {
        "exercise": ex.id,
        "point": point,
        "output": graph.output,
        "value": tr.values[graph.output],
        "nodes": {
            n.name: {
                "op": n.op,
                "args": list(n.args),
                "value": tr.values[n.name],
                "grad": tr.grads[n.name],
                "local": list(tr.locals[n.name]),
            }
            for n in graph.nodes
        },
        "inputs": {name: {"value": tr.values[name], "grad": tr.grads[name]} for name in graph.inputs},
    }


def init(exercise: str, lang: str = "ko", exercises_dir: Path | None = None) -> tuple[Exercise, str]:
    from grader.exercise.stubs import stub

    ex = find_exercise(exercise, exercises_dir)
    return ex, stub(ex, lang)
