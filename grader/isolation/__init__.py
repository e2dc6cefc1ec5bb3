"""The child: a zygote interpreter that forks one locked-down child per submission (``pool``,
``zygote``, ``lockdown``, ``seccomp_filter``), the sessions that talk to it (``sandbox``, ``child``), and
the harness that runs student code inside it (stdlib only, imports nothing of ours).

May import: nothing of grader but ``grader.errors``; the engine and exercises are not needed to run code.
"""
