"""The schema and docs endpoints answer like the rest of the API: the schema as YAML or JSON
when it can be served, every refusal as a JSON body with a `detail` a person can act on."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.api.conftest import client_for


@pytest.fixture
def api(db):
    cache.clear()  # the throttles count per address
    return APIClient()


def assert_json_error(response, status):
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    return body


@pytest.mark.parametrize(("query", "media_type"), [
    ("", "application/vnd.oai.openapi"),
    ("?format=yaml", "application/vnd.oai.openapi"),
    ("?format=json", "application/vnd.oai.openapi+json"),
    ("?lang=en", "application/vnd.oai.openapi"),
])
def test_schema_is_served_as_yaml_or_json(api, query, media_type):
    response = api.get(f"/api/schema/{query}")
    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == media_type
    assert b"Newsroom API" in response.content


def test_schema_in_json_when_accept_asks_for_json(api):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Newsroom API"


@pytest.mark.parametrize("value", ["nonsense", "openapi-json", "api", "xml"])
def test_schema_unknown_format_is_a_json_404_naming_the_formats(api, value):
    body = assert_json_error(api.get(f"/api/schema/?format={value}"), 404)
    assert "format" in body["detail"]
    assert "json" in body["detail"] and "yaml" in body["detail"]


@pytest.mark.parametrize("accept", ["text/html", "application/xml", "image/png"])
def test_schema_unsupported_accept_is_a_json_406_naming_the_media_types(api, accept):
    body = assert_json_error(api.get("/api/schema/", HTTP_ACCEPT=accept), 406)
    assert "application/vnd.oai.openapi+json" in body["detail"]


# drf-spectacular activates any ?lang; "../locale/de" read Django's German catalogue through
# the path (a translation catalogue is looked up under each locale directory).
@pytest.mark.parametrize("lang", ["xx", "../locale/de", "../../../tmp", "a" * 300, "zz-top"])
def test_schema_unknown_language_is_a_json_400_naming_lang(api, lang):
    body = assert_json_error(api.get("/api/schema/", {"lang": lang}), 400)
    assert list(body["errors"]) == ["lang"]
    assert lang not in body["detail"]  # the sender's text is not repeated back


@pytest.mark.parametrize("version", ["9", "a\nb", "<b>"])
def test_schema_version_parameter_is_refused_not_echoed(api, version):
    # The API's version is in its paths (/api/v1/); a ?version used to be copied into the
    # schema's info.version and the Content-Disposition header (a newline there was a 500).
    body = assert_json_error(api.get("/api/schema/", {"version": version}), 400)
    assert list(body["errors"]) == ["version"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_schema_other_methods_are_a_json_405(api, method):
    response = getattr(api, method)("/api/schema/")
    body = assert_json_error(response, 405)
    assert method.upper() in body["detail"]
    assert response["Allow"] == "GET, HEAD, OPTIONS"


def test_schema_head_answers_like_get_without_a_body(api):
    response = api.head("/api/schema/?format=json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.oai.openapi+json"
    assert response.content == b""


def test_schema_options_is_json_like_the_other_endpoints(api):
    response = api.options("/api/schema/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["name"] == "Schema"


def test_schema_throttled_answer_is_json_429(api, settings, monkeypatch):
    from rest_framework.throttling import AnonRateThrottle

    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "1/minute"})
    assert api.get("/api/schema/").status_code == 200
    response = api.get("/api/schema/")
    assert_json_error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_schema_signed_in_reads_the_same_schema(writer):
    cache.clear()
    response = client_for(writer).get("/api/schema/?format=json")
    assert response.status_code == 200
    assert "paths" in response.json()


@pytest.mark.parametrize(("method", "status"), [("post", 405), ("delete", 405)])
def test_docs_page_refusals_are_json(api, method, status):
    assert_json_error(getattr(api, method)("/api/docs/"), status)


def test_docs_page_unknown_format_is_json_404(api):
    assert_json_error(api.get("/api/docs/?format=nonsense"), 404)


def test_docs_page_unsupported_accept_is_json_406(api):
    assert_json_error(api.get("/api/docs/", HTTP_ACCEPT="application/xml"), 406)


def test_docs_page_unknown_language_is_json_400(api):
    body = assert_json_error(api.get("/api/docs/", {"lang": "xx"}), 400)
    assert list(body["errors"]) == ["lang"]


def test_docs_page_still_renders_and_passes_the_language_on(api):
    page = api.get("/api/docs/", {"lang": "en"})
    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/html")
    script = api.get("/api/docs/", {"lang": "en", "script": ""})
    assert script.status_code == 200
    assert rb'url: "/api/schema/?lang\u003Den"' in script.content  # escapejs


# Siblings: every API endpoint answers an unknown ?format= and an Accept it cannot serve
# the same way, naming what it serves rather than "not found (or not visible to you)".

@pytest.mark.parametrize("url", ["/api/v1/public/stories/", "/api/v1/public/transparency/"])
def test_api_unknown_format_names_the_format_not_a_missing_row(api, url):
    body = assert_json_error(api.get(url, {"format": "nonsense"}), 404)
    assert "format" in body["detail"] and "json" in body["detail"]
    assert "not visible" not in body["detail"]


def test_api_unknown_format_when_signed_in(writer):
    cache.clear()
    body = assert_json_error(client_for(writer).get("/api/v1/stories/?format=xml"), 404)
    assert "format" in body["detail"]


def test_api_unsupported_accept_names_json(api):
    body = assert_json_error(api.get("/api/v1/public/stories/", HTTP_ACCEPT="text/html"), 406)
    assert "application/json" in body["detail"]


def test_api_format_json_still_serves(api):
    assert api.get("/api/v1/public/stories/?format=json").status_code == 200
