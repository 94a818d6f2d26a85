"""Requests Postgate sends reach the public internet only, unless ``allow_private_urls`` says
otherwise: checked when an account is connected and again on every call, against a real
sandbox server on loopback and a resolver that changes its answers (DNS rebinding)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from sqlalchemy import select

from postgate.errors import SettingsError
from postgate.platforms.base import PermanentError
from postgate.runtime import Runtime
from postgate.services.credentials import connector_for_account
from postgate.settings import load_settings
from postgate.store.models import Account
from postgate.urlguard import Destination, UrlPolicy
from sandbox import client as sandbox_client
from tests.gateway.test_accounts_api import admin as admin  # a fixture
from tests.gateway.test_accounts_api import sandbox_url as sandbox_url  # a fixture
from tests.helpers import make_account


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "224.0.0.1",
        "192.0.2.1",  # documentation
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",  # IPv4 written as IPv6
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    where = Destination.of("https://social.example/")
    assert "allow_private_urls" in UrlPolicy().refusal(where, [ipaddress.ip_address(address)])


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::6810:84e5"])
def test_public_addresses_pass(address: str) -> None:
    where = Destination.of("https://social.example/")
    assert UrlPolicy().refusal(where, [ipaddress.ip_address(address)]) == ""


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    where = Destination.of("https://social.example/")
    addresses = [ipaddress.ip_address(a) for a in ("93.184.216.34", "10.0.0.1")]
    assert UrlPolicy().refusal(where, addresses)


def test_what_allow_private_urls_lists_passes_and_nothing_more() -> None:
    policy = UrlPolicy(("http://mastodon.internal:8080", "relay.lan", "10.20.0.0/16"))
    private = [ipaddress.ip_address("10.9.9.9")]
    assert policy.refusal(Destination.of("http://mastodon.internal:8080/api"), private) == ""
    assert policy.refusal(Destination.of("https://mastodon.internal:8080/"), private)  # scheme
    assert policy.refusal(Destination.of("http://mastodon.internal:8081/"), private)  # port
    assert policy.refusal(Destination.of("https://relay.lan:9443/"), private) == ""
    inside = [ipaddress.ip_address("10.20.3.4")]
    assert policy.refusal(Destination.of("https://anything.lan/"), inside) == ""
    assert policy.refusal(Destination.of("https://anything.lan/"), private)


def test_the_sandbox_may_use_loopback_and_only_loopback() -> None:
    sandbox = UrlPolicy.for_platform((), "sandbox")
    where = Destination.of("http://127.0.0.1:8765/")
    assert sandbox.refusal(where, [ipaddress.ip_address("127.0.0.1")]) == ""
    assert sandbox.refusal(where, [ipaddress.ip_address("10.0.0.5")])
    assert UrlPolicy.for_platform((), "mastodon").refusal(where, [ipaddress.ip_address("::1")])


def add_account(client, admin, **body):
    body = {"name": "brand", "platform": "mastodon", **body}
    return client.post("/api/v1/accounts", json=body, headers=admin.headers)


def test_an_account_on_a_private_address_is_refused_when_connected(client, admin, sandbox_url):
    token = sandbox_client.issue_token(sandbox_url, "brand")["access_token"]
    for base_url in (sandbox_url, "http://169.254.169.254/", "http://[::ffff:127.0.0.1]:9/"):
        answer = add_account(client, admin, base_url=base_url, credentials=token)
        assert answer.status_code == 422, answer.get_json()
        assert answer.get_json()["field"] == "base_url"
        assert "allow_private_urls" in answer.get_json()["message"]
    webhook = {"url": "http://10.1.2.3/hook/s3cret", "secret": "shared"}
    answer = add_account(client, admin, platform="webhook", credentials=webhook)
    assert answer.status_code == 422 and answer.get_json()["field"] == "token"
    sandbox = add_account(client, admin, platform="sandbox", base_url="http://10.0.0.5:8765")
    assert sandbox.status_code == 422 and sandbox.get_json()["field"] == "base_url"


def test_an_allowed_private_address_connects(rt, actors, sandbox_url) -> None:
    from gateway import create_app

    settings = rt.settings.with_overrides(allow_private_urls=(sandbox_url,))
    client = create_app({"TESTING": True}, settings=settings).test_client()
    admin = actors.login(actors.create("ann", "admin"))
    token = sandbox_client.issue_token(sandbox_url, "brand")["access_token"]
    answer = client.post(
        "/api/v1/accounts",
        json={
            "name": "brand",
            "platform": "mastodon",
            "base_url": sandbox_url,
            "credentials": token,
        },
        headers=admin.headers,
    )
    assert answer.status_code == 201, answer.get_json()


class Resolver:
    """socket.getaddrinfo answering for test names as a hostile DNS server would."""

    def __init__(self, monkeypatch, answers: dict[str, list[str]]) -> None:
        self.answers, self.asked = answers, []
        self._real = socket.getaddrinfo
        monkeypatch.setattr(socket, "getaddrinfo", self)

    def __call__(self, host, port, *args, **kwargs):
        if host not in self.answers:
            return self._real(host, port, *args, **kwargs)
        self.asked.append(host)
        if not self.answers[host]:
            raise socket.gaierror(socket.EAI_NONAME, "no such name")
        address = self.answers[host].pop(0)
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]


def _account(rt, name: str = "acme") -> Account:
    with rt.store.session() as db:
        account = db.scalar(select(Account).where(Account.name == name))
        db.expunge(account)
        return account


def test_each_call_is_checked_again_when_dns_now_points_inside(rt, monkeypatch) -> None:
    """Connected while the name was public; now it resolves to the metadata service."""
    make_account(rt, "acme", platform="mastodon", base_url="https://social.example")
    Resolver(monkeypatch, {"social.example": ["169.254.169.254"]})
    with connector_for_account(rt, _account(rt)) as connector:
        with pytest.raises(PermanentError) as refused:
            connector.verify_credentials()
    assert "169.254.169.254" in refused.value.message
    assert "allow_private_urls" in refused.value.message


def test_a_call_goes_to_the_address_that_was_checked(rt, sandbox_url, monkeypatch) -> None:
    """DNS rebinding: a second lookup would give another answer (here: none at all), so the
    call succeeds only because it connects to the address checked first."""
    port = int(sandbox_url.rsplit(":", 1)[1])
    token = sandbox_client.issue_token(sandbox_url, "acme")["access_token"]
    make_account(
        rt, "acme", platform="mastodon", base_url=f"http://social.example:{port}", token=token
    )
    pinned = Runtime(rt.settings.with_overrides(allow_private_urls=("127.0.0.0/8",)))
    resolver = Resolver(monkeypatch, {"social.example": ["127.0.0.1"]})
    with connector_for_account(pinned, _account(rt)) as connector:
        info = connector.verify_credentials()
    assert info.handle and resolver.asked == ["social.example"]


def test_a_private_checkpoint_webhook_must_be_listed(tmp_path) -> None:
    config = tmp_path / "postgate.toml"
    config.write_text('[audit]\nwebhooks = ["http://10.0.0.8/hook"]\n')
    env = {"POSTGATE_INSTANCE": str(tmp_path), "POSTGATE_CONFIG": str(config)}
    with pytest.raises(SettingsError) as refused:
        load_settings(env=env)
    assert "allow_private_urls" in refused.value.message
    config.write_text(config.read_text() + '[security]\nallow_private_urls = ["10.0.0.8"]\n')
    assert load_settings(env=env).checkpoint_webhooks == ("http://10.0.0.8/hook",)


def _self_signed(folder, name: str) -> tuple[str, str]:
    """A certificate for ``name`` and its key, as PEM files."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


def test_a_pinned_https_call_still_verifies_the_certificate_for_the_host(tmp_path, monkeypatch):
    """Connecting to the checked address must not weaken TLS: the certificate is checked
    against the host's name (SNI), and a certificate for another name is refused."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import httpx

    from postgate.urlguard import GuardedTransport

    class Hello(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(self.headers["Host"].encode())

        def log_message(self, *args: object) -> None:
            pass

    cert, key = _self_signed(tmp_path, "social.example")
    server = HTTPServer(("127.0.0.1", 0), Hello)
    served = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    served.load_cert_chain(cert, key)
    server.socket = served.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    trusting = ssl.create_default_context(cafile=cert)
    policy = UrlPolicy(("127.0.0.0/8",))
    try:
        Resolver(monkeypatch, {"social.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
        inner = httpx.HTTPTransport(verify=trusting)
        with httpx.Client(transport=GuardedTransport(policy, inner)) as client:
            answer = client.get(f"https://social.example:{port}/")
            assert answer.status_code == 200 and answer.text == f"social.example:{port}"
            with pytest.raises(httpx.ConnectError, match=r"(?i)certificate|hostname"):
                client.get(f"https://other.example:{port}/")
    finally:
        server.shutdown()
        server.server_close()
