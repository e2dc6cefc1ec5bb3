"""The reference autodiff engine: gates (forward, local gradients, formulas in Korean and English),
graphs, forward and backward passes, traces.

May import: nothing of grader but ``grader.errors``.
"""

from grader.engine.gates import GATES, DomainError, Gate, known_gates, sigmoid
from grader.engine.graph import (
    EvaluationError,
    Graph,
    Node,
    Trace,
    backward,
    forward,
    topological_order,
    trace,
)

__all__ = [
    "GATES",
    "DomainError",
    "EvaluationError",
    "Gate",
    "Graph",
    "Node",
    "Trace",
    "backward",
    "forward",
    "known_gates",
    "sigmoid",
    "topological_order",
    "trace",
]
