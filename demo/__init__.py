"""The demo launcher: starts both simulators, a worker and the console with demo data (``make demo``).

The only installed app allowed to import :mod:`simulators`; nothing in the product imports this one.
"""
