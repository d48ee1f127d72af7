from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("newsroom.api_urls")),
    path("", include("stories.urls")),
    path("", include("sources.urls")),
]
