from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve

from newsroom.health import healthz


def media(request, path):
    """Uploaded figures and snapshots from MEDIA_ROOT, where no front server does it (`make
    demo`, development); production serves /media/ from the proxy (NEWSROOM_SERVE_MEDIA off)."""
    if not settings.NEWSROOM_SERVE_MEDIA:
        raise Http404("Media files are served by the front server.")
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def favicon(request):
    """Browsers ask for /favicon.ico on every site, admin included: send them to the icon."""
    return HttpResponsePermanentRedirect(static("newsroom/favicon.svg"))


urlpatterns = [
    path("favicon.ico", favicon, name="favicon"),
    # Each dependency's state (database, cache, broker); 503 only without the database.
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("newsroom.api_urls")),
    re_path(r"^media/(?P<path>.+)$", media, name="media"),
    path("", include("stories.urls")),
]

# A 500 under /api/ answers JSON like every other API error.
handler500 = "newsroom.api.server_error"
# A body over DATA_UPLOAD_MAX_MEMORY_SIZE (a huge paste into the story form) says so on a page.
handler400 = "newsroom.api.bad_request"
