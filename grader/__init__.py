"""backprop-grader: grades backpropagation exercises on computational graphs, node by node."""

__version__ = "0.1.0"
