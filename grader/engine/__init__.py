"""The reference autodiff engine: gates, graphs, forward and backward passes."""

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
