"""Log lines: JSON when asked, one request id from the web request to the job, no secrets."""

from __future__ import annotations

import io
import json
import logging

import pytest
from rq import SimpleWorker

from postgate import logs, queue
from postgate.errors import SettingsError
from postgate.settings import load_settings
from tests.conftest import make_env
from tests.helpers import drain_queue


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    logs.configure_logging("json", "INFO", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.configure_logging("text", "WARNING", stream=io.StringIO())


def test_a_request_logs_one_json_line_with_its_id_and_route_not_its_path(json_lines, client):
    response = client.get(
        "/api/v1/enrol/s3cr3t-enrolment-token", headers={"X-Request-Id": "edge-42"}
    )
    assert response.headers["X-Request-Id"] == "edge-42"
    [line] = [e for e in json_lines() if e["logger"] == "postgate.http"]
    assert line["request_id"] == "edge-42" and line["status"] == response.status_code
    assert "s3cr3t-enrolment-token" not in json.dumps(json_lines())


def test_an_offered_request_id_that_is_not_plain_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-Id": "bad id <script>"})
    given = response.headers["X-Request-Id"]
    assert given != "bad id <script>" and len(given) == 16


def test_secrets_in_a_message_are_masked(json_lines):
    logging.getLogger("postgate.test").warning(
        "platform said no to Authorization: Bearer abc.def-123 with password=hunter2&x=1"
    )
    [line] = json_lines()
    assert "abc.def-123" not in line["message"] and "hunter2" not in line["message"]
    assert "[redacted]" in line["message"] and "x=1" in line["message"]


def test_a_job_carries_the_request_id_of_the_request_that_queued_it(rt, json_lines):
    with logs.request_id_bound("req-7"):
        job_id = queue.enqueue_takedown(rt, 999_999)
    job = queue._fetch(rt.redis, job_id)
    assert job is not None and job.meta == {"request_id": "req-7"}

    from workers.beating import RequestIdBinding

    class InProcess(RequestIdBinding, SimpleWorker):  # a forked horse would log elsewhere
        pass

    drain_queue(rt, queue.TAKEDOWN_QUEUE, InProcess)
    inside = [line for line in json_lines() if line["request_id"] == "req-7"]
    assert inside, json_lines()
    assert any("Successfully completed" in line["message"] for line in inside), inside
    listening = [line for line in json_lines() if "Listening on" in line["message"]]
    assert listening and listening[0]["request_id"] == "-"  # bound only while the job runs


def test_a_bad_log_format_names_the_setting(tmp_path):
    env = make_env(tmp_path, "sqlite://", "redis://127.0.0.1:1/0", POSTGATE_LOG_FORMAT="yaml")
    with pytest.raises(SettingsError) as raised:
        load_settings(env=env)
    assert "POSTGATE_LOG_FORMAT" in raised.value.message
