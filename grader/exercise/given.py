"""What an exercise gives the student, and what it asks for: the one rule every page and stub follows.

A task asks for a formula, so no page or stub the grader writes may print it:

    forward     the forward formula of its gates          (given: the gate's name, its inputs)
    local_grad  the local-gradient formula of its gates   (given: the forward formula, ``out``)
    backward    the local-gradient formula of its gates   (given: the forward formula, the chain rule)
    gradients   the local gradient of every gate          (given: every forward formula)
    step        the update rule w ← w − η·∂L/∂w            (given: the gradients, η)
    descent     the update rule and every local gradient  (given: every forward formula, η, the steps)
    gradient_check  no gate formula                       (given: the method and the error's definition,
                                                           which fix the form of the answer)

Everything a task does not ask for is given. What the grader generates follows this rule (the
exercise page's list of gates, the report's gate box, ``grade init`` and notebook stubs), and so does
the course's own description of each exercise (``tests/loader/test_course_text.py`` holds it to the
rule, and to no value of an asked quantity at the lecture's point). Hints are the author's words and
are shown only in a report, after the task has failed.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.exercise.spec import Exercise


@dataclass(frozen=True)
class Asked:
    forward: frozenset[str]  # gates (ops) whose forward formula a task asks for
    local: frozenset[str]  # gates whose local-gradient formula a task asks for
    update_rule: bool  # a step task asks for the gradient-descent update

    def shows_forward(self, op: str) -> bool:
        return op not in self.forward

    def shows_local(self, op: str) -> bool:
        return op not in self.local


def asked(exercise: Exercise) -> Asked:
    forward: set[str] = set()
    local: set[str] = set()
    update = False
    graph = exercise.built
    for task in exercise.tasks:
        if task.kind in ("forward", "local_grad", "backward"):
            ops = {graph.by_name[name].op for name in exercise.task_nodes(task)}
            (forward if task.kind == "forward" else local).update(ops)
        elif task.kind in ("gradients", "descent"):
            local.update(node.op for node in graph.nodes)
        if task.kind in ("step", "descent"):
            update = True
    return Asked(frozenset(forward), frozenset(local), update)
