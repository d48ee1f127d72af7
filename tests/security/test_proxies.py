"""Throttles and the sign-in lockout count the client's real address: X-Forwarded-For is only
believed from a configured proxy, so rotating it gains a client nothing."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from newsroom.proxies import client_ip

CLIENT = "203.0.113.7"


@pytest.fixture(autouse=True)
def _fresh_throttles(settings):
    settings.NEWSROOM_TRUSTED_PROXIES = ["127.0.0.1/32", "10.0.0.0/8"]
    cache.clear()
    yield
    cache.clear()


def sign_in(client, n: int, **meta):
    return client.post(reverse("api-auth-token"), {"username": f"guess{n}", "password": "x"},
                       content_type="application/json", **meta)


def test_rotating_x_forwarded_for_does_not_escape_the_sign_in_throttle(db):
    client = Client()
    answers = [sign_in(client, n, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
               .status_code for n in range(25)]
    assert answers[:20] == [400] * 20
    assert set(answers[20:]) == {429}


def test_rotating_the_entries_a_client_wrote_behind_a_trusted_proxy_gains_nothing(db):
    client = Client()
    answers = [sign_in(client, n, REMOTE_ADDR="127.0.0.1",
                       HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, {CLIENT}").status_code
               for n in range(25)]
    assert set(answers[20:]) == {429}


@pytest.mark.parametrize("remote, forwarded, client", [
    (CLIENT, "198.51.100.1", CLIENT),                       # not from a proxy: header ignored
    ("127.0.0.1", CLIENT, CLIENT),                          # one trusted proxy
    ("127.0.0.1", f"198.51.100.1, {CLIENT}, 10.1.2.3", CLIENT),  # two proxies, spoofed left
    ("127.0.0.1", "", "127.0.0.1"),                         # the proxy itself
    ("127.0.0.1", f"not-an-ip, {CLIENT}", CLIENT),
    ("127.0.0.1", "10.1.2.3, garbage", "127.0.0.1"),
    ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
])
def test_client_ip(remote, forwarded, client):
    assert client_ip({"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}) == client


def test_a_client_cannot_claim_https_without_a_proxy(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    direct = client.get("/robots.txt", REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_PROTO="https")
    assert direct.status_code == 301
    proxied = client.get("/robots.txt", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
