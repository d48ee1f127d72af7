from django.urls import path

from . import sitemaps, source_views, views
from .feeds import LatestStoriesFeed

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_detail, name="story-detail"),
    path("stories/<slug:slug>/history/", views.story_history, name="story-history"),
    path("sources/snapshots/<int:snapshot_id>/", source_views.snapshot_detail,
         name="snapshot-detail"),
    path("sources/<str:key>/", source_views.source_detail, name="source-detail"),
    path("authors/<str:username>/", views.author_detail, name="author-detail"),
    path("search/", views.search, name="search"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("feed/", LatestStoriesFeed(), name="feed"),
    path("sitemap.xml", sitemaps.sitemap_index, name="sitemap"),
    path("sitemap-pages.xml", sitemaps.sitemap_pages, name="sitemap-pages"),
    path("sitemap-stories-<int:file>.xml", sitemaps.sitemap_stories, name="sitemap-stories"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("healthz", views.healthz, name="healthz"),
]
