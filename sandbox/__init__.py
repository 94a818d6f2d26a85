"""The sandbox platform: a small local server speaking the Mastodon API subset Postgate uses.

A test and demo server, not part of Postgate: it lets everything run offline, injects latency,
rate limits and errors for tests and benchmarks, and lets a test post on an account directly,
as an attacker holding stolen credentials would. It imports nothing of Postgate (the
``import-linter`` contract in ``pyproject.toml`` says so), and Postgate reaches it only over
HTTP, like any platform; ``postgate sandbox ...`` is this package's click group, plugged into
the ``postgate`` command.
"""
