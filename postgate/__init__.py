"""Postgate core: settings, the store, secrets at rest, the audit chain and domain services.

Nothing here imports Flask: the web gateway and the RQ workers both build on this package.
"""

__version__ = "0.1.0"
