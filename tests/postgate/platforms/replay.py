"""Replay recorded platform exchanges through ``httpx.MockTransport``.

A recording is a JSON list of exchanges, in the order the connector must make
them::

    {"request": {"method", "path", "host"?, "params"?, "absent_params"?,
                 "headers"?, "absent_headers"?, "json"?, "form"?, "multipart"?},
     "response": {"status", "headers"?, "json"? | "text"? | "base64"?}}

or ``{"request": ..., "error": "ReadTimeout"}`` to simulate a transport
failure. Each request is checked against the recording: method, path, the
listed query parameters and headers, the listed top-level JSON fields, and the
form fields (all of them: an extra or missing form field fails), and for a
``multipart/form-data`` body its parts: ``{"fields": {name: value}, "files": {name:
content type}}`` (every part, nothing more). An exchange may carry ``"doc"``: the page of the
platform's documentation it is shaped after.
"""

from __future__ import annotations

import base64
import json
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx

RECORDINGS = Path(__file__).parent / "recordings"


class Replay(httpx.MockTransport):
    """A transport that answers from one recording and checks what it is sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.exchanges: list[dict[str, Any]] = json.loads((RECORDINGS / name).read_text())
        self.requests: list[httpx.Request] = []
        super().__init__(self._handle)

    def assert_done(self) -> None:
        left = len(self.exchanges) - len(self.requests)
        assert left == 0, f"{self.name}: {left} recorded exchange(s) never requested"

    def _handle(self, request: httpx.Request) -> httpx.Response:
        index = len(self.requests)
        assert index < len(self.exchanges), (
            f"{self.name}: unexpected extra {request.method} {request.url}"
        )
        self.requests.append(request)
        exchange = self.exchanges[index]
        _check_request(f"{self.name}[{index}]", exchange["request"], request)
        if "error" in exchange:
            raise getattr(httpx, exchange["error"])("simulated", request=request)
        return _response(exchange["response"])


def _check_request(where: str, expected: dict[str, Any], request: httpx.Request) -> None:
    assert request.method == expected["method"], where
    assert request.url.path == expected["path"], f"{where}: path {request.url.path}"
    if "host" in expected:
        assert request.url.host == expected["host"], f"{where}: host {request.url.host}"
    for key, value in expected.get("params", {}).items():
        assert request.url.params.get(key) == str(value), f"{where}: param {key}"
    for key in expected.get("absent_params", []):
        assert key not in request.url.params, f"{where}: param {key} must be absent"
    for key, value in expected.get("headers", {}).items():
        assert request.headers.get(key) == value, f"{where}: header {key}"
    for key in expected.get("absent_headers", []):
        assert key not in request.headers, f"{where}: header {key} must be absent"
    if "json" in expected:
        body = json.loads(request.content)
        for key, value in expected["json"].items():
            assert body.get(key) == value, f"{where}: json {key}: {body.get(key)!r}"
    if "form" in expected:
        form = dict(parse_qsl(request.content.decode()))
        assert form == expected["form"], f"{where}: form {sorted(form)}"
    if "multipart" in expected:
        fields, files = _multipart(request)
        assert fields == expected["multipart"].get("fields", {}), f"{where}: fields {fields}"
        assert files == expected["multipart"].get("files", {}), f"{where}: files {files}"


def _multipart(request: httpx.Request) -> tuple[dict[str, str], dict[str, str]]:
    """The text fields and the files (by content type) of a multipart body."""
    content_type = request.headers.get("content-type", "")
    assert content_type.startswith("multipart/form-data"), content_type
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + request.content)
    fields, files = {}, {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if part.get_filename() is not None:
            files[name] = part.get_content_type()
        else:
            fields[name] = part.get_payload(decode=True).decode()
    return fields, files


def _response(recorded: dict[str, Any]) -> httpx.Response:
    headers = recorded.get("headers", {})
    if "json" in recorded:
        return httpx.Response(recorded["status"], headers=headers, json=recorded["json"])
    if "base64" in recorded:  # a binary body (a CAR file, a blob)
        content = base64.b64decode(recorded["base64"])
        return httpx.Response(recorded["status"], headers=headers, content=content)
    return httpx.Response(recorded["status"], headers=headers, text=recorded.get("text", ""))
