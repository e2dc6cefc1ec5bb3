"""The static feedback site: gathering pages from the gradebook (``data``) and the dashboard's charts.

May import: every wing up to ``classroom``.
"""
