"""Read: the grader's own reference engine (world-readable source, next to the grader's code).

It reads the engine's source from disk and executes it, so no import statement is involved.
If it worked: the engine computes the exact local gradient. Expected: "forbidden" while loading, 0 marks.
"""

engine = {"__name__": "engine"}
with open("__GRADER_DIR__/engine/gates.py") as f:
    exec(compile(f.read(), "gates.py", "exec"), engine)


def tanh_local_grad(x):
    gate = engine["GATES"]["tanh"]
    return gate.local((x,), gate.forward((x,)))[0]
