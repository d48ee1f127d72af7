from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import source_views, views
from .feeds import LatestStoriesFeed
from .sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_detail, name="story-detail"),
    path("stories/<slug:slug>/history/", views.story_history, name="story-history"),
    path("stories/<slug:slug>/evidence.wacz", source_views.story_evidence,
         name="story-evidence"),
    path("sources/snapshots/<int:snapshot_id>/", source_views.snapshot_detail,
         name="snapshot-detail"),
    path("sources/snapshots/<int:snapshot_id>/replay/", source_views.snapshot_replay,
         name="snapshot-replay"),
    path("sources/snapshots/<int:snapshot_id>/capture.warc.gz", source_views.snapshot_warc,
         name="snapshot-warc"),
    path("sources/snapshots/<int:snapshot_id>/screenshot.png", source_views.snapshot_screenshot,
         name="snapshot-screenshot"),
    path("sources/<str:key>/", source_views.source_detail, name="source-detail"),
    path("authors/<str:username>/", views.author_detail, name="author-detail"),
    path("search/", views.search, name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("feed/", LatestStoriesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("healthz", views.healthz, name="healthz"),
]
