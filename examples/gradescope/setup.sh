#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image (Ubuntu 22.04 by default).
# The autograder zip holds, at its root: setup.sh, run_autograder, course.yaml, course.secret,
# exercises/ (the course's YAML files) and, if the grader is not on PyPI for you, its wheel.
set -euo pipefail

apt-get update
apt-get install -y --no-install-recommends python3.11 python3.11-venv   # the grader needs Python >= 3.11
python3.11 -m venv /opt/grader
if ls /autograder/source/backprop_grader-*.whl >/dev/null 2>&1; then
    /opt/grader/bin/pip install /autograder/source/backprop_grader-*.whl
else
    /opt/grader/bin/pip install backprop-grader
fi
chmod 600 /autograder/source/course.secret   # readable by root only; student code runs as another uid
