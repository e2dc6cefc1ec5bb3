"""Read: another student's submission (world-readable) and use its function.

If it worked: full marks with someone else's code. Expected: "forbidden" while loading, 0 marks.
"""

namespace = {}
with open("__OTHER__") as f:
    exec(f.read(), namespace)
tanh_local_grad = namespace["tanh_local_grad"]
