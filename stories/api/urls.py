from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from . import transparency
from .editor import EditorViewSet
from .reports import PublicReportViewSet, ReportViewSet
from .views import PublicStoryViewSet, StoryViewSet

router = SimpleRouter()
# First, so /stories/check/ and /stories/draft/ are not read as a story id.
router.register("stories", EditorViewSet, basename="api-story-editor")
router.register("stories", StoryViewSet, basename="api-story")
router.register("public/stories", PublicStoryViewSet, basename="api-public-story")
router.register("reports", ReportViewSet, basename="api-report")

urlpatterns = [
    *router.urls,
    # Any text as the slug: one that names no published story is a JSON 404 from the view.
    re_path(r"^public/stories/(?P<slug>[^/]+)/reports/$",
            PublicReportViewSet.as_view({"post": "create"}), name="api-public-story-reports"),
    path("public/transparency/", transparency.LogView.as_view(), name="api-transparency-log"),
    path("public/transparency/tree-head/", transparency.TreeHeadView.as_view(),
         name="api-transparency-tree-head"),
    path("public/transparency/entries/", transparency.EntriesView.as_view(),
         name="api-transparency-entries"),
    path("public/transparency/proofs/inclusion/", transparency.InclusionView.as_view(),
         name="api-transparency-inclusion"),
    path("public/transparency/proofs/consistency/", transparency.ConsistencyView.as_view(),
         name="api-transparency-consistency"),
]
