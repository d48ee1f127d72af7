"""The OpenAPI schema validates, and schemathesis finds no server error and no answer that
contradicts it, calling every operation as each role."""

import time
from collections import Counter

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from rest_framework.views import APIView
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from stories.models import Story
from tests.api.conftest import client_for, story_in
from tests.factories import SourceFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES_PER_OPERATION = 15


def test_schema_is_valid_openapi(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate(schema)
    paths = schema["paths"]
    for path in ["/api/v1/auth/token/", "/api/v1/sources/", "/api/v1/sources/{key}/",
                 "/api/v1/sources/{key}/capture/", "/api/v1/stories/", "/api/v1/stories/{id}/",
                 "/api/v1/stories/{id}/claims/", "/api/v1/stories/{id}/submit/",
                 "/api/v1/stories/{id}/withdraw/", "/api/v1/stories/{id}/reviews/",
                 "/api/v1/stories/{id}/publish/", "/api/v1/stories/{id}/retract/",
                 "/api/v1/stories/{id}/audit/", "/api/v1/stories/{id}/revisions/",
                 "/api/v1/stories/{id}/revisions/diff/", "/api/v1/public/stories/",
                 "/api/v1/public/stories/{slug}/"]:
        assert path in paths, path
    patch = paths["/api/v1/stories/{id}/"]["patch"]["responses"]
    assert {"400", "403", "404", "412", "428"} <= set(patch)
    assert {"403", "409"} <= set(paths["/api/v1/stories/{id}/publish/"]["post"]["responses"])


def test_docs_page_uses_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert b"cdn.jsdelivr" not in response.content
    assert b"/static/drf_spectacular_sidecar/" in response.content


@pytest.fixture
def no_throttles(monkeypatch):
    # The throttles stay declared (the schema documents each one's 429 from them) but never
    # refuse, so the fuzz reaches every operation.
    cache.clear()
    monkeypatch.setattr(APIView, "check_throttles", lambda self, request: None)


@pytest.fixture
def fuzz_world(no_throttles, monkeypatch, writer, other_writer, reviewer, editor):
    from sources import tasks

    monkeypatch.setattr(tasks.capture_source, "delay", lambda *a, **k: None)
    SourceFactory(key="port-annual")
    for state in ("draft", "in_review", "approved", "published"):
        story_in(state, author=writer, reviewer=reviewer, editor=editor, title=f"Fuzz {state}")
    outsider = UserFactory(username="outsider")
    return {"anonymous": None, "writer": writer, "reviewer": reviewer, "editor": editor,
            "outsider": outsider}


@pytest.fixture
def keep_test_connection():
    # Called through WSGI rather than Django's test client, each request would close the
    # database connection the test transaction lives on; the test client disconnects the
    # same handlers.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_schemathesis_finds_no_server_error_and_no_schema_violation(fuzz_world,
                                                                     keep_test_connection):
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json",
                                            get_wsgi_application())
    headers = {}
    for role, user in fuzz_world.items():
        if user is not None:
            token = client_for(user)._credentials["HTTP_AUTHORIZATION"]
            headers[role] = {"Authorization": token}
        else:
            headers[role] = {}
    roles = list(headers)
    story_ids = list(Story.objects.order_by("pk").values_list("pk", flat=True))
    calls, started = [], time.monotonic()

    def fuzz(operation):
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        def run(case):
            role = roles[len(calls) % len(roles)]
            if case.path_parameters and len(calls) % 3:
                # Two calls in three aim at real rows, so the fuzz reaches past the 404s.
                real = {"id": story_ids[len(calls) % len(story_ids)], "key": "port-annual",
                        "slug": "fuzz-published"}
                case.path_parameters = {**case.path_parameters,
                                        **{k: v for k, v in real.items()
                                           if k in case.path_parameters}}
            response = case.call(headers=headers[role])
            calls.append((operation.label, role, response.status_code))
            case.validate_response(response, checks=CHECKS, headers=headers[role])

        run()

    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/api/v1/auth/token/" and operation.method.upper() == "DELETE":
            continue  # revoking would sign the fuzzing roles out
        try:
            fuzz(operation)
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report them all
            failures.append(f"{operation.label}: {exc}")

    elapsed = time.monotonic() - started
    codes = Counter(code for *_, code in calls)
    print(f"schemathesis: {len(calls)} calls over {len({c[0] for c in calls})} operations "
          f"in {elapsed:.1f}s; status codes {sorted(codes.items())}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= 150
    assert not [c for c in calls if c[2] >= 500]
