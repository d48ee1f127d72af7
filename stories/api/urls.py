from django.urls import path
from rest_framework.routers import SimpleRouter

from . import transparency
from .editor import EditorViewSet
from .views import PublicStoryViewSet, StoryViewSet

router = SimpleRouter()
# First, so /stories/check/ and /stories/draft/ are not read as a story id.
router.register("stories", EditorViewSet, basename="api-story-editor")
router.register("stories", StoryViewSet, basename="api-story")
router.register("public/stories", PublicStoryViewSet, basename="api-public-story")

urlpatterns = [
    *router.urls,
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
