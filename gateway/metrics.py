"""``/metrics``: Prometheus' view of Postgate, for the operator's monitoring only.

The page names accounts and counts failed logins: useful to an attacker planning around
the alarms. It is answered to a loopback peer that no proxy forwarded (a scraper on the
same machine), and to anyone else only with ``Authorization: Bearer
$POSTGATE_METRICS_TOKEN``. A request that came through a reverse proxy on the same machine
carries forwarding headers, so it is treated as remote even though its peer is loopback.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from gateway.context import rt
from postgate.observability.metrics import CONTENT_TYPE, render

bp = Blueprint("metrics", __name__)

FORWARDING_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    if not _allowed():
        answer = jsonify(
            error="forbidden",
            message="metrics are answered to loopback, or with the metrics token",
        )
        return answer, 403
    return Response(render(rt()), mimetype=None, content_type=CONTENT_TYPE)


def _allowed() -> bool:
    token = rt().settings.metrics_token
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return _direct_loopback()


def _direct_loopback() -> bool:
    if any(request.headers.get(name) for name in FORWARDING_HEADERS):
        return False
    # The peer as the socket saw it, before any proxy-header rewriting of remote_addr.
    peer = request.environ.get("werkzeug.proxy_fix.orig", {}).get("REMOTE_ADDR")
    peer = peer or request.remote_addr or ""
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False
