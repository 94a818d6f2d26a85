"""Work that every test's new Flask app repeated, done once per test process instead.

Most tests make an app of their own (``create_app`` for their store). Two costs of that were
the same every time and dominated the API and web tests' set-up (measured: ~1 s an app and
~0.7 s a test's first page on this 2-core machine, most of the gateway tests' time):

- Werkzeug compiles a small Python function per URL rule (twice: with and without extra
  arguments) each time a rule is added to an app's URL map, about 460 ``compile()`` calls an
  app. The generated function depends only on the rule's parts, its defaults and the flag; it
  reads everything else from the rule it is bound to when called. So the function is kept
  by that key and bound to each new rule as Werkzeug itself binds it.
- Jinja compiles every template again for each app's new environment. A bytecode cache in
  memory, shared by the test process's environments, keeps the compiled code; Jinja checks
  the template's source checksum before using it, and the key includes the options that
  change the code Jinja generates, so a template edited or compiled differently is compiled
  anew.

Neither changes what a test sees: URLs are built by the same code, pages rendered from the
same compiled templates. Production does not need either (one app a process).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jinja2 import BytecodeCache, Environment
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule

_builders: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _builder_key(rule: Rule, append_unknown: bool) -> tuple[Any, ...] | None:
    """What the builder Werkzeug generates for ``rule`` depends on, or None when a default
    goes through a converter (then Werkzeug compiles it, as without this cache)."""
    defaults = rule.defaults or {}
    if any(dynamic and data in defaults for dynamic, data in rule._trace):
        return None
    try:
        shown_defaults = tuple(sorted((str(k), repr(v)) for k, v in defaults.items()))
    except TypeError:
        return None
    return (rule.rule, tuple(rule._trace), shown_defaults, append_unknown)


def _install_route_builder_cache() -> None:
    original = Rule._compile_builder
    if getattr(original, "_postgate_cached", False):
        return

    @functools.wraps(original)
    def compile_builder(self: Rule, append_unknown: bool = True) -> Callable[..., Any]:
        key = _builder_key(self, append_unknown)
        if key is None:
            return original(self, append_unknown)
        if key not in _builders:
            _builders[key] = original(self, append_unknown)
        return _builders[key]

    compile_builder._postgate_cached = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]


_template_code: dict[str, bytes] = {}  # every environment's compiled templates, by key


class _SharedTemplateCode(BytecodeCache):
    """Compiled templates in memory, shared by every Jinja environment of the test process;
    keyed also by the options of ``env`` that change the code Jinja generates."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    def load_bytecode(self, bucket: Bucket) -> None:
        stored = _template_code.get(bucket.key)
        if stored is not None:
            bucket.bytecode_from_string(stored)  # ignored when the source checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        _template_code[bucket.key] = bucket.bytecode_to_string()

    def get_cache_key(self, name: str, filename: str | None = None) -> str:
        return f"{_shape(self.env)}|{super().get_cache_key(name, filename)}"


def _shape(env: Environment) -> str:
    return repr(
        (
            sorted(env.extensions),
            env.autoescape,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
            env.trim_blocks,
            env.lstrip_blocks,
            env.newline_sequence,
            env.keep_trailing_newline,
            env.optimized,
            env.finalize is not None,
            env.is_async,
            type(env).__qualname__,
        )
    )


def _install_template_cache() -> None:
    from flask import Flask

    original = Flask.create_jinja_environment
    if getattr(original, "_postgate_cached", False):
        return

    @functools.wraps(original)
    def create_jinja_environment(self: Flask) -> Any:
        env = original(self)
        env.bytecode_cache = _SharedTemplateCode(env)
        return env

    create_jinja_environment._postgate_cached = True  # type: ignore[attr-defined]
    Flask.create_jinja_environment = create_jinja_environment  # type: ignore[method-assign]


def install() -> None:
    """Keep Werkzeug's route builders and Jinja's compiled templates across the test
    process's apps (idempotent)."""
    _install_route_builder_cache()
    _install_template_cache()
