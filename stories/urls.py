from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import reader_views, source_views, transparency_views, views
from .feeds import LatestStoriesFeed
from .sitemaps import SITEMAPS

urlpatterns = [
    path("", views.home, name="home"),
    path("stories/<slug:slug>/", views.story_detail, name="story-detail"),
    path("stories/<slug:slug>/history/", views.story_history, name="story-history"),
    path("stories/<slug:slug>/evidence.wacz", source_views.story_evidence,
         name="story-evidence"),
    path("stories/<slug:slug>/report/", reader_views.story_report, name="story-report"),
    path("stories/<slug:slug>/report/sent/", reader_views.story_report_sent,
         name="story-report-sent"),
    path("stories/<slug:slug>/viewed/", reader_views.story_viewed, name="story-viewed"),
    path("corrections/", reader_views.corrections, name="corrections"),
    path("corrections/feed/", reader_views.corrections_feed, name="corrections-feed"),
    path("digest/", reader_views.digest, name="digest"),
    path("digest/confirm/<str:token>/", reader_views.digest_confirm, name="digest-confirm"),
    path("digest/unsubscribe/<str:token>/", reader_views.digest_unsubscribe,
         name="digest-unsubscribe"),
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
    path("transparency/", transparency_views.transparency_page, name="transparency"),
    path(f".well-known/{transparency_views.WELL_KNOWN}", transparency_views.well_known,
         name="well-known-transparency"),
    path("preview/<str:token>/", views.preview, name="preview"),
    path("feed/", LatestStoriesFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", views.robots_txt, name="robots-txt"),
    path("healthz", views.healthz, name="healthz"),
]
