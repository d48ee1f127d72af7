from rest_framework.routers import SimpleRouter

from .editor import EditorViewSet
from .views import PublicStoryViewSet, StoryViewSet

router = SimpleRouter()
# First, so /stories/check/ and /stories/draft/ are not read as a story id.
router.register("stories", EditorViewSet, basename="api-story-editor")
router.register("stories", StoryViewSet, basename="api-story")
router.register("public/stories", PublicStoryViewSet, basename="api-public-story")

urlpatterns = router.urls
