"""Who may do what: the role groups that pages, the API and the services check.

A person holds one or more roles (``author``, ``reviewer``, ``security``, ``admin``); a group
admits whoever holds at least one of its roles (``user.has_role(*group)``). Each group is
named once, here, so a page, its API endpoint and the service behind them cannot drift apart
(invariant 11 of docs/invariants.md: every page and endpoint checks role and ownership itself).
``tests/gateway/test_endpoint_access.py`` holds every route of the web app and the API to the
group it names.
"""

from __future__ import annotations

from postgate.states import Role

RoleGroup = tuple[Role, ...]

WRITE_POSTS: RoleGroup = (Role.AUTHOR,)
"""Compose posts, edit and list one's own."""

REVIEW_POSTS: RoleGroup = (Role.REVIEWER,)
"""Approve or reject other people's posts."""

RETRY_POSTS: RoleGroup = (Role.REVIEWER,)
"""Put a failed post back on the schedule without rewriting it."""

SETTLE_POSTS: RoleGroup = (Role.REVIEWER, Role.SECURITY)
"""Settle a post whose outcome is unknown: say whether it is on the platform after all."""

SEE_ALL_POSTS: RoleGroup = (Role.REVIEWER, Role.SECURITY, Role.ADMIN)
"""Read every post, not only one's own."""

RUN_CONSOLE: RoleGroup = (Role.SECURITY, Role.ADMIN)
"""The crisis console: freeze and lift, take down, read the audit log, see and revoke users."""

MARK_CRISIS: RoleGroup = (Role.SECURITY,)
"""Mark a post as a crisis statement, which may publish during a freeze."""

ADMINISTER: RoleGroup = (Role.ADMIN,)
"""Users and their roles, accounts and their credentials, the rules."""
