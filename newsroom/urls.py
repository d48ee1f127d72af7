from django.contrib import admin
from django.urls import include, path

from newsroom.health import healthz

urlpatterns = [
    # Each dependency's state (database, cache, broker); 503 only without the database.
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("newsroom.api_urls")),
    path("", include("stories.urls")),
]

# A 500 under /api/ answers JSON like every other API error.
handler500 = "newsroom.api.server_error"
