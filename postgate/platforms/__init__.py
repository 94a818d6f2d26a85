"""The platforms Postgate publishes to: their registry, and one connector module each.

:mod:`~postgate.platforms.registry` holds one :class:`~postgate.platforms.spec.PlatformSpec`
per platform and builds connectors (:func:`~postgate.platforms.registry.connector_for`);
:mod:`~postgate.platforms.base` is the connector interface and the three error kinds every
caller handles. The rest is one module per platform (``mastodon``, ``bluesky``, ``x``,
``webhook``, ``sandbox``) and the HTTP plumbing they share (``http``, ``answers``,
``ratelimit``, ``timeutil``, ``html_text``, ``facets``). Nothing outside this package knows any
platform's HTTP API.
"""
