"""The ``grade`` command: declares options, calls a wing, prints; the only place that prints or exits.

May import: every wing.
"""
