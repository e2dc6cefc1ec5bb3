"""The ``grade`` command: declares options, calls a wing, prints; the only place that prints or exits.

``main`` is the entry point (it starts the sandbox's zygote first for ``grade submit``), ``app`` the
typer application and how a run ends, ``commands`` every command, ``submit`` what ``grade submit`` does.

May import: every wing.
"""
