"""Read: the course secret from the environment, /proc/self/environ or any /proc/<pid>/environ.

Prints whatever it finds and returns the right answer only if it found GRADE_SECRET.
If it worked: the secret leaks into the output (and hidden points could be recomputed).
Expected: "forbidden", 0 marks, the secret nowhere in the result.
"""

import math
import os


def tanh_local_grad(x):
    found = os.environ.get("GRADE_SECRET")
    if not found:
        with open("/proc/self/environ", "rb") as f:
            print(f.read())
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                with open(f"/proc/{pid}/environ", "rb") as f:
                    data = f.read()
                print(pid, data)
                if b"GRADE_SECRET=" in data:
                    found = data.split(b"GRADE_SECRET=")[1].split(b"\0")[0].decode()
    print("secret:", found)
    if not found:
        raise LookupError("no secret found")
    return 1 - math.tanh(x) ** 2
