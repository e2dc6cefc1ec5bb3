"""Write: leave files that outlive the run: /tmp, /dev/shm, the working folder, the home folder.

Returns the right answer only if one of them could be created. Expected: "forbidden" (nothing
created anywhere), 0 marks.
"""

import math
import os


def tanh_local_grad(x):
    made = 0
    errors = []
    for folder in ("/tmp", "/dev/shm", os.getcwd(), os.path.expanduser("~"), "/var/tmp"):
        try:
            with open(os.path.join(folder, "left-by-__UNIQUE__"), "w") as f:
                f.write("state for the next student")
            made += 1
        except OSError as exc:
            errors.append(exc)
    if not made:
        raise errors[0]
    return 1 - math.tanh(x) ** 2
