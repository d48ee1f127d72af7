"""Deployment settings and the headers every page carries: clickjacking, sniffing, referrers,
and a strict Content-Security-Policy that the public site, the admin and the API docs obey."""

import os
import re
import secrets
import subprocess  # nosec B404 - runs manage.py with a controlled environment
import sys
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from tests.public.helpers import publish_story

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "CELERY_", "AUDIT_",
                                  "TRANSPARENCY_"))}
    return subprocess.run(  # nosec B603 - fixed argv, no shell
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
        capture_output=True, text=True, timeout=120, check=False,
    )


AUDIT = {"AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
         "AUDIT_CHECKPOINT_PATH": "/var/lib/newsroom/audit-checkpoints.jsonl",
         "TRANSPARENCY_SIGNING_KEY_FILE": "/var/lib/newsroom/transparency-signing-key"}
PRODUCTION = {"DJANGO_DEBUG": "0", "DJANGO_ALLOWED_HOSTS": "news.example.org", **AUDIT}


def test_check_deploy_reports_nothing_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_debug_off_without_a_secret_refuses_to_start():
    result = manage("check", **PRODUCTION)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.parametrize(("missing", "value"), [
    ("AUDIT_HMAC_KEY", ""),
    ("AUDIT_HMAC_KEY", "too-short"),
    ("AUDIT_CHECKPOINT_PATH", ""),
])
def test_debug_off_without_the_audit_key_or_checkpoint_log_refuses_to_start(missing, value):
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                                missing: value})
    assert result.returncode != 0
    assert f"Set {missing}" in result.stderr


def test_debug_off_without_a_transparency_key_refuses_to_start():
    result = manage("check", **{**PRODUCTION, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
                                "TRANSPARENCY_SIGNING_KEY_FILE": ""})
    assert result.returncode != 0
    assert "Set TRANSPARENCY_SIGNING_KEY or TRANSPARENCY_SIGNING_KEY_FILE" in result.stderr


def test_check_deploy_flags_a_weak_secret():
    # The check is really looking: a short, guessable key is reported.
    result = manage("check", "--deploy", "--fail-level", "WARNING",
                    DJANGO_SECRET_KEY="changeme", **PRODUCTION)
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


SHOW = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS > 0, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_PROXY_SSL_HEADER)")


def test_production_cookies_hsts_and_ssl_redirect_with_a_proxy_switch():
    secret = secrets.token_urlsafe(50)
    on = manage("shell", "-v", "0", "-c", SHOW, DJANGO_SECRET_KEY=secret, **PRODUCTION)
    assert on.stdout.split()[:5] == ["True"] * 5, on.stderr
    behind_proxy = manage("shell", "-v", "0", "-c", SHOW, DJANGO_SECRET_KEY=secret,
                          DJANGO_SECURE_SSL_REDIRECT="0", **PRODUCTION)
    assert behind_proxy.stdout.split()[4] == "False"
    assert "HTTP_X_FORWARDED_PROTO" in behind_proxy.stdout


# --- headers and CSP ------------------------------------------------------------------------


def _directives(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def assert_strict_headers(response) -> str:
    """The security headers; returns the CSP nonce."""
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = _directives(response["Content-Security-Policy"])
    for name in ("script-src", "style-src"):
        assert "'unsafe-inline'" not in csp[name] and "'unsafe-eval'" not in csp[name]
        assert not any(v in ("*", "http:", "https:", "data:") for v in csp[name])
    assert csp["object-src"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    nonces = {v for v in csp["script-src"] if v.startswith("'nonce-")}
    return nonces.pop()[7:-1] if nonces else ""


def assert_no_inline_without_nonce(html: str, nonce: str) -> None:
    tree = LexborHTMLParser(html)
    for node in tree.css("script"):
        if "src" in node.attributes:
            assert node.attributes["src"].startswith("/"), node.html
            continue
        if node.attributes.get("type") == "application/ld+json":
            # A data block: browsers never execute it, so it needs no nonce (and a page
            # without one can be shared by every reader through the edge cache).
            assert "</" not in (node.text() or ""), node.html[:200]
            continue
        assert nonce and node.attributes.get("nonce") == nonce, node.html[:200]
    for node in tree.css("style"):
        assert nonce and node.attributes.get("nonce") == nonce, node.html[:200]
    styled = [n.html[:120] for n in tree.css("[style]")]
    assert styled == [], "style attributes are blocked by the CSP"
    handlers = [n.html[:120] for n in tree.css("*")
                if any(a.lower().startswith("on") for a in n.attributes)]
    assert handlers == [], "inline event handlers are blocked by the CSP"


@pytest.fixture
def story(writer, reviewer, editor):
    return publish_story(writer, reviewer, editor)


@pytest.mark.parametrize("url", ["/", "story", "/search/?q=cranes", "/admin/login/",
                                 "/api/docs/"])
def test_pages_carry_strict_headers_and_only_nonced_inline_code(client, story, url):
    url = story.get_absolute_url() if url == "story" else url
    response = client.get(url)
    assert response.status_code == 200
    nonce = assert_strict_headers(response)
    assert_no_inline_without_nonce(response.content.decode(), nonce)


def test_the_anonymous_story_page_carries_no_nonce_so_one_copy_serves_every_reader(
        client, story):
    bodies = []
    for _ in range(2):
        response = client.get(story.get_absolute_url())
        assert assert_strict_headers(response) == ""
        assert_no_inline_without_nonce(response.content.decode(), "")
        bodies.append(response.content)
    assert b"nonce" not in bodies[0]
    assert bodies[0] == bodies[1]


def test_api_docs_load_their_assets_and_init_script_from_our_origin(client):
    html = client.get("/api/docs/").content.decode()
    sources = [n.attributes["src"] for n in LexborHTMLParser(html).css("script")]
    assert sources[:2] == [
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-standalone-preset.js",
    ]
    script = client.get(sources[2])
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
    assert re.search(r"url: *\"?/api/schema/", script.content.decode()) or (
        "/api/schema/" in script.content.decode())
    assert client.get("/api/schema/").status_code == 200


def test_api_answers_carry_the_headers_too(client, db):
    response = client.get("/api/v1/public/stories/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
