"""Every route of the app, API and web pages alike, says who may use it, and holds to it.

An endpoint missing from the tables below makes the classification tests fail, so nobody
adds a route without deciding who may call it (``postgate/policy.py`` names the groups). Then
each route is tried as someone outside its group (403 everywhere), as nobody (the API: 401;
a page: the login page), and, for the pages, as each role inside the group (never refused).
"""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.routing import IntegerConverter

from postgate import policy
from postgate.store.models import ROLES
from tests.helpers import WebActions

pytestmark = pytest.mark.store_neutral

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed in"  # anyone signed in: each acts on their own things, checked per item

# Every /api/v1 endpoint that needs a role, with the group that may call it.
API_ROLES: dict[str, policy.RoleGroup] = {
    "api.users.list_users": policy.RUN_CONSOLE,
    "api.users.create_user": policy.ADMINISTER,
    "api.users.set_roles": policy.ADMINISTER,
    "api.users.revoke": policy.RUN_CONSOLE,
    "api.users.reset_totp": policy.ADMINISTER,
    "api.users.reset_password": policy.ADMINISTER,
    "api.users.list_changes": policy.RUN_CONSOLE,
    "api.users.confirm_change": policy.ADMINISTER,
    "api.users.cancel_change": policy.ADMINISTER,
    "api.users.enable": policy.ADMINISTER,
    "api.posts.submit": policy.WRITE_POSTS,
    "api.collab.compose": policy.WRITE_POSTS,
    "api.collab.submit_draft": policy.WRITE_POSTS,
    "api.collab.previews": policy.WRITE_POSTS,
    "api.media.upload": policy.WRITE_POSTS,
    "api.posts.approve": policy.REVIEW_POSTS,
    "api.posts.reject": policy.REVIEW_POSTS,
    "api.posts.reject_many": policy.REVIEW_POSTS,
    "api.posts.settle": policy.SETTLE_POSTS,
    "api.posts.retry": policy.RETRY_POSTS,
    "api.freeze.set_freeze": policy.RUN_CONSOLE,
    "api.freeze.lift_freeze": policy.RUN_CONSOLE,
    "api.takedowns.start_takedown": policy.RUN_CONSOLE,
    "api.takedowns.preview_takedown": policy.RUN_CONSOLE,
    "api.takedowns.list_takedowns": policy.RUN_CONSOLE,
    "api.takedowns.get_takedown": policy.RUN_CONSOLE,
    "api.takedowns.takedown_report": policy.RUN_CONSOLE,
    "api.takedowns.takedown_evidence": policy.RUN_CONSOLE,
    "api.takedowns.mark_crisis": policy.MARK_CRISIS,
    "api.audit.list_entries": policy.RUN_CONSOLE,
    "api.alerts.list_alerts": policy.RUN_CONSOLE,
    "api.alerts.get_alert": policy.RUN_CONSOLE,
    "api.alerts.acknowledge": policy.RUN_CONSOLE,
    "api.alerts.get_watch": policy.RUN_CONSOLE,
    "api.alerts.set_watch": policy.RUN_CONSOLE,
    "api.rules.get_rules": policy.RUN_CONSOLE,
    "api.rules.put_rules": policy.ADMINISTER,
    "api.rules.get_catalog": policy.RUN_CONSOLE,
    "api.rules.put_catalog": policy.ADMINISTER,
    "api.rules.list_versions": policy.RUN_CONSOLE,
    "api.rules.get_version": policy.RUN_CONSOLE,
    "api.rules.approve_version": policy.RUN_CONSOLE,
    "api.rules.reject_version": policy.RUN_CONSOLE,
    "api.rules.rollback_version": policy.ADMINISTER,
    "api.rules.try_rules": policy.RUN_CONSOLE,
    "api.rules.get_rule_forms": policy.RUN_CONSOLE,
    "api.rules.put_rule_form": policy.ADMINISTER,
    "api.rules.try_rule_form": policy.RUN_CONSOLE,
    "api.rules.try_catalog": policy.RUN_CONSOLE,
    "api.rules.get_terms": policy.RUN_CONSOLE,
    "api.audit.verify": policy.RUN_CONSOLE,
    "api.accounts.add_account": policy.ADMINISTER,
    "api.accounts.replace_credentials": policy.ADMINISTER,
    "api.accounts.update_account": policy.ADMINISTER,
    "api.accounts.list_account_changes": policy.RUN_CONSOLE,
    "api.accounts.approve_account_change": policy.RUN_CONSOLE,
    "api.accounts.deny_account_change": policy.RUN_CONSOLE,
    "api.notifications.list_org_channels": policy.ADMINISTER,
    "api.notifications.add_org_channel": policy.ADMINISTER,
    "api.notifications.remove_org_channel": policy.ADMINISTER,
}
# Open to any authenticated caller (each acts on the caller's own things) or to anyone.
API_OPEN = {
    "api.session.create_session",
    "api.session.delete_session",
    "api.session.list_tokens",
    "api.session.create_token",
    "api.session.revoke_token",
    "api.users.me",
    "api.users.start_totp",
    "api.users.confirm_totp",
    "api.users.renew_recovery_codes",
    "api.users.change_password",
    # Posts: visibility and ownership are checked per post by the posts service.
    "api.posts.list_posts",
    "api.collab.list_comments",  # whoever may see the post: checked by the posts service
    "api.collab.add_comment",
    "api.collab.post_preview",
    "api.posts.get_post",
    "api.posts.edit_post",
    "api.posts.cancel",
    # Media: the uploader, or who sees every post; checked per upload by the media service.
    "api.media.get_media",
    "api.media.get_media_file",
    "api.freeze.list_freezes",
    "api.takedowns.crisis_templates",
    "api.accounts.list_accounts",
    # Notifications: each person's own list, language and channels.
    "api.notifications.list_notifications",
    "api.notifications.mark_read",
    "api.notifications.my_preferences",
    "api.notifications.change_preferences",
    "api.notifications.add_my_channel",
    "api.notifications.remove_my_channel",
    "api.zone.my_zone",  # one's own time zone
    "api.zone.set_my_zone",
    "api.openapi.description",  # public: what the open-source code accepts, no secret
    # Public: the enrolment link's token is the credential (single-use, expiring, hashed).
    "api.enrol.show",
    "api.enrol.choose",
    "api.enrol.confirm",
}
# Every other endpoint: the web pages (and the static files and the health check).
WEB: dict[str, str | policy.RoleGroup] = {
    "static": PUBLIC,
    "health.healthz": PUBLIC,
    "metrics.metrics": PUBLIC,  # loopback or the metrics token: tests/gateway/test_metrics.py
    "i18n.choose_language": PUBLIC,
    "home.index": PUBLIC,  # each person's first page, or the login page
    "auth.login": PUBLIC,
    "auth.logout": PUBLIC,  # ends the session there is, if any
    "enrol.page": PUBLIC,  # the enrolment link's token is the credential
    "enrol.choose": PUBLIC,
    "enrol.confirm": PUBLIC,
    "auth.profile": SIGNED_IN,
    "auth.create_token": SIGNED_IN,
    "auth.revoke_token": SIGNED_IN,
    "auth.twofa": SIGNED_IN,
    "auth.twofa_start": SIGNED_IN,
    "auth.twofa_confirm": SIGNED_IN,
    "auth.recovery_codes": SIGNED_IN,
    "zone.set": SIGNED_IN,  # one's own time zone
    "password.show": SIGNED_IN,
    "password.change": SIGNED_IN,
    "calendar.index": SIGNED_IN,  # a plain author sees only their own posts in it
    "calendar.move": policy.WRITE_POSTS,  # the post's author only: checked by the posts service
    "calendar.move_page": policy.WRITE_POSTS,  # the same move without JavaScript
    "posts.detail": SIGNED_IN,  # visibility checked per post by the posts service
    "posts.cancel": SIGNED_IN,  # the author, security or an admin: checked by the service
    "posts.compose": policy.WRITE_POSTS,
    "posts.check": policy.WRITE_POSTS,
    "collab.preview": policy.WRITE_POSTS,
    "collab.submit_draft": policy.WRITE_POSTS,
    "collab.comment": SIGNED_IN,  # whoever may see the post: checked by the posts service
    "posts.list": policy.WRITE_POSTS,
    "posts.edit": policy.WRITE_POSTS,
    "media.upload": policy.WRITE_POSTS,
    "media.file": SIGNED_IN,  # the uploader, or who sees every post: checked per upload
    "media.download": PUBLIC,  # a signed, expiring link is the permission
    "crisis.mark": policy.MARK_CRISIS,
    "settle.settle": policy.SETTLE_POSTS,
    "settle.retry": policy.RETRY_POSTS,
    "review.queue": policy.REVIEW_POSTS,
    "review.post": policy.REVIEW_POSTS,
    "review.approve": policy.REVIEW_POSTS,
    "review.reject": policy.REVIEW_POSTS,
    "review.reject_selected": policy.REVIEW_POSTS,
    "posts.all": policy.SEE_ALL_POSTS,
    "takedowns.index": policy.RUN_CONSOLE,
    "console.index": policy.RUN_CONSOLE,
    "console.freeze": policy.RUN_CONSOLE,
    "console.lift_freeze": policy.RUN_CONSOLE,
    "console.start_takedown": policy.RUN_CONSOLE,
    "console.preview_takedown": policy.RUN_CONSOLE,
    "alerts.index": policy.RUN_CONSOLE,
    "alerts.acknowledge": policy.RUN_CONSOLE,
    "alerts.settings": policy.RUN_CONSOLE,
    "alerts.takedown": policy.RUN_CONSOLE,
    "takedowns.show": policy.RUN_CONSOLE,
    "takedowns.progress": policy.RUN_CONSOLE,
    "takedowns.report": policy.RUN_CONSOLE,
    "takedowns.evidence": policy.RUN_CONSOLE,
    "takedowns.media": policy.RUN_CONSOLE,
    "audit.log": policy.RUN_CONSOLE,
    "users.list": policy.RUN_CONSOLE,
    "users.revoke": policy.RUN_CONSOLE,
    "users.create": policy.ADMINISTER,
    "users.set_roles": policy.ADMINISTER,
    "users.reset_totp": policy.ADMINISTER,
    "users.reset_password": policy.ADMINISTER,
    "users.confirm_change": policy.ADMINISTER,
    "users.cancel_change": policy.ADMINISTER,
    "users.enable": policy.ADMINISTER,
    "admin.index": policy.ADMINISTER,
    "admin.rules": policy.ADMINISTER,
    "admin.add_term": policy.ADMINISTER,
    "admin.remove_term": policy.ADMINISTER,
    "admin.save_rules": policy.ADMINISTER,
    "admin.save_rule": policy.ADMINISTER,
    "admin.save_product": policy.ADMINISTER,
    "admin.import_catalog": policy.ADMINISTER,
    "admin.export_catalog": policy.RUN_CONSOLE,
    "admin.approve_version": policy.RUN_CONSOLE,
    "admin.reject_version": policy.RUN_CONSOLE,
    "admin.rollback_version": policy.ADMINISTER,
    "admin.security_rules": policy.RUN_CONSOLE,
    "accounts.list": policy.ADMINISTER,
    "accounts.add": policy.ADMINISTER,
    "accounts.show": policy.ADMINISTER,
    "accounts.update": policy.ADMINISTER,
    "accounts.approve_change": policy.ADMINISTER,
    "accounts.deny_change": policy.ADMINISTER,
    "accounts.console_approve_change": policy.RUN_CONSOLE,
    "accounts.console_deny_change": policy.RUN_CONSOLE,
    "accounts.credentials": policy.ADMINISTER,
    "oauth.start": policy.ADMINISTER,
    "oauth.reconnect": policy.ADMINISTER,
    "oauth.callback": policy.ADMINISTER,
    "oauth.choose": policy.ADMINISTER,
    "notifications.index": SIGNED_IN,  # each person's own notifications
    "notifications.mark_read": SIGNED_IN,
    "notifications.settings": SIGNED_IN,
    "notifications.save_settings": SIGNED_IN,
    "notifications.add_channel": SIGNED_IN,
    "notifications.remove_channel": SIGNED_IN,  # the owner's only: checked by the service
    "notifications.organisation": policy.ADMINISTER,
    "notifications.add_org_channel": policy.ADMINISTER,
    "notifications.remove_org_channel": policy.ADMINISTER,
}
# A body valid in shape for every endpoint, so that only the role can be what refuses.
PLAUSIBLE_BODY = {
    "otp": "000000",
    "account": "main",
    "text": "hello",
    "reason": "because",
    "roles": ["author"],
    "username": "someone",
    "name": "token",
    "since": "2026-01-01T00:00:00+00:00",
}
NO_SUCH_ID = 999_999  # ids in page URLs: refusals must not depend on what exists


def test_role_groups_are_the_ones_design_md_describes() -> None:
    """Widening a group widens every page, endpoint and service that names it: say so here."""
    assert policy.WRITE_POSTS == ("author",)
    assert policy.REVIEW_POSTS == ("reviewer",)
    assert policy.SEE_ALL_POSTS == ("reviewer", "security", "admin")
    assert policy.RUN_CONSOLE == ("security", "admin")
    assert policy.MARK_CRISIS == ("security",)
    assert policy.ADMINISTER == ("admin",)


def _api_rules(app) -> list:
    return [r for r in app.url_map.iter_rules() if r.endpoint.startswith("api.")]


def _web_rules(app) -> list:
    return [r for r in app.url_map.iter_rules() if not r.endpoint.startswith("api.")]


def _methods(rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def _fill(rule, number: int = 1) -> str:
    values = {
        arg: number if isinstance(rule._converters[arg], IntegerConverter) else "nobody"
        for arg in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def _outsider_roles(group: policy.RoleGroup) -> tuple[str, ...]:
    """Every role outside ``group``: the most a person can hold and still be refused."""
    return tuple(role for role in ROLES if role not in group)


def test_every_api_endpoint_is_classified(app) -> None:
    found = {r.endpoint for r in _api_rules(app)}
    assert not found - set(API_ROLES) - API_OPEN, "say who may call them (API_ROLES or API_OPEN)"
    assert not (set(API_ROLES) | API_OPEN) - found, "endpoints that no longer exist"


def test_every_web_endpoint_is_classified(app) -> None:
    found = {r.endpoint for r in _web_rules(app)}
    assert not found - set(WEB), f"say who may use {sorted(found - set(WEB))} (WEB)"
    assert not set(WEB) - found, f"endpoints that no longer exist: {sorted(set(WEB) - found)}"


def test_api_callers_outside_the_group_get_403_everywhere(app, client, actors) -> None:
    people: dict[tuple[str, ...], Any] = {}
    checked = 0
    for rule in _api_rules(app):
        group = API_ROLES.get(rule.endpoint)
        if group is None:
            continue
        roles = _outsider_roles(group)
        if roles not in people:
            people[roles] = actors.person(f"u{len(people)}", *roles)
        for method in _methods(rule):
            response = client.open(
                _fill(rule), method=method, json=PLAUSIBLE_BODY, headers=people[roles].headers
            )
            assert response.status_code == 403, (rule.endpoint, method, response.get_json())
            checked += 1
    assert checked >= len(API_ROLES)


PUBLIC_API = {
    "api.session.create_session",
    "api.openapi.description",
    "api.enrol.show",
    "api.enrol.choose",
    "api.enrol.confirm",
}


def test_api_callers_without_a_token_get_401_everywhere_but_login(app, client) -> None:
    for rule in _api_rules(app):
        if rule.endpoint in PUBLIC_API:
            continue
        for method in _methods(rule):
            response = client.open(_fill(rule), method=method, json={})
            assert response.status_code == 401, (rule.endpoint, method)


def _visit(web: WebActions, rule, method: str) -> Any:
    """``method`` on ``rule``'s URL, as a browser would send it (a form with its CSRF token)."""
    path = _fill(rule, NO_SUCH_ID)
    if method == "GET":
        return web.client.get(path)
    return web.client.open(path, method=method, data={"csrf_token": web.csrf()})


def _guarded(app) -> list[tuple[Any, str, str | policy.RoleGroup]]:
    return [
        (r, m, WEB[r.endpoint])
        for r in _web_rules(app)
        for m in _methods(r)
        if WEB.get(r.endpoint) not in (None, PUBLIC)
    ]


def test_public_pages_answer_anyone(app, web) -> None:
    public = [(r, m) for r in _web_rules(app) for m in _methods(r) if WEB.get(r.endpoint) == PUBLIC]
    for rule, method in public:
        response = _visit(web, rule, method)
        assert response.status_code != 403, (rule.endpoint, method)
        assert not response.headers.get("Location", "").startswith("/login?next="), rule.endpoint


def test_signed_out_visitors_are_sent_to_the_login_page(app, web) -> None:
    guarded = _guarded(app)
    assert len(guarded) > 40
    for rule, method, _who in guarded:
        response = _visit(web, rule, method)
        assert response.status_code == 302, (rule.endpoint, method, response.status_code)
        assert response.headers["Location"].startswith("/login?next="), rule.endpoint


def test_web_users_outside_the_group_get_403_everywhere(app, web, actors) -> None:
    browsers: dict[tuple[str, ...], WebActions] = {}
    checked = 0
    for rule, method, group in _guarded(app):
        if group == SIGNED_IN:
            continue
        roles = _outsider_roles(group)
        if roles not in browsers:
            browsers[roles] = web.another()
            browsers[roles].login(actors.create(f"u{len(browsers)}", *roles))
        response = _visit(browsers[roles], rule, method)
        assert response.status_code == 403, (rule.endpoint, method, roles, response.status_code)
        checked += 1
    assert checked > 30


@pytest.mark.parametrize("role", ROLES)
def test_web_users_inside_the_group_are_let_in(app, web, actors, role) -> None:
    """A page must not refuse whom its group admits: nothing here is 403 or the login page
    (what is asked for does not exist, so the answers are pages, 404s and form errors)."""
    web.login(actors.create("pat", role))
    for rule, method, group in _guarded(app):
        if group != SIGNED_IN and role not in group:
            continue
        response = _visit(web, rule, method)
        assert response.status_code != 403, (rule.endpoint, method)
        assert not response.headers.get("Location", "").startswith("/login"), rule.endpoint
