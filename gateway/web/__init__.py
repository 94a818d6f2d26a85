"""The server-rendered web app for every role: one blueprint per concern.

| blueprint | module | pages |
|---|---|---|
| ``auth`` | ``auth.py`` | sign in and out, the user's own sessions, tokens and 2FA |
| ``enrol`` | ``enrol.py`` | an enrolment link: a person sets their own password and authenticator |
| ``password`` | ``password.py`` | change one's own password |
| ``home`` | ``home.py`` | ``/``: each person's first page, by role |
| ``posts`` | ``posts.py`` | compose with live checks, my posts, a post's history, edit, cancel |
| ``crisis`` | ``crisis.py`` | mark a post as a crisis statement |
| ``settle`` | ``settle.py`` | settle a post whose outcome is unknown |
| ``review`` | ``review.py`` | the review queue, one post under review, approve, reject |
| ``calendar`` | ``calendar.py`` | every account's days: posts, windows, freezes; moving a post |
| ``console`` | ``console.py`` | the crisis console: freeze, lift, start a takedown |
| ``alerts`` | ``alerts.py`` | the watch's alerts, the automatic freeze, "take down from here" |
| ``takedowns`` | ``takedowns.py`` | a takedown's live progress and its incident report |
| ``audit`` | ``audit.py`` | the audit log and whether its chain verifies |
| ``users`` | ``users.py`` | users and access: revoke; add, change roles, reset 2FA |
| ``admin`` | ``admin.py``, ``rules_admin.py`` | the overview; rules, catalogue and their versions |
| ``accounts`` | ``accounts.py`` | connect accounts, their settings and credentials |
| ``oauth`` | ``oauth.py`` | connect or reconnect an account with the platform's consent screen |
| ``zone`` | ``zone.py`` | one's own time zone, the clock of every page (``gateway/clock.py``) |

The app factory (``gateway.create_app``) registers them all, in one place. Modules that
serve several pages hold no routes: ``session.py`` (who is there), ``calendar_days.py``,
``calendar_team.py``, ``calendar_move.py`` (the move, for the dialog and the page),
``account_rows.py``, ``user_forms.py`` and ``textview.py``.

Web forms carry CSRF tokens (Flask-WTF). The JSON API under ``/api/v1`` authenticates with
bearer tokens, never with cookies, so it needs no CSRF token and is exempt. ``calendar.move``
checks its token itself (``X-CSRFToken``), after who may move, so its refusals are JSON.
"""

from __future__ import annotations

from flask_wtf import CSRFProtect

csrf = CSRFProtect()
