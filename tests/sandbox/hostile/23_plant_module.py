"""Write: plant a module the next run would import (math.py next to the grader, sitecustomize.py).

If it worked: the next submission (or the grader) imports the student's math. Expected:
"forbidden" while loading, 0 marks, nothing planted.
"""

import os

for folder in ("__GRADER_DIR__", os.path.dirname(os.__file__)):
    with open(os.path.join(folder, "sitecustomize.py"), "w") as f:
        f.write("import builtins; builtins.PLANTED = True\n")


def tanh_local_grad(x):
    return 0.0
