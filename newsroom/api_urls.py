from django.urls import include, path, re_path

from .api import AuthTokenView, DocsView, SchemaView, not_found

urlpatterns = [
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="schema"), name="api-docs"),
    path("v1/auth/token/", AuthTokenView.as_view(), name="api-auth-token"),
    path("v1/", include("stories.api.urls")),
    path("v1/", include("sources.api.urls")),
    # Anything else under /api/ answers a JSON 404, never the HTML error page.
    re_path(r"^.*$", not_found),
]
