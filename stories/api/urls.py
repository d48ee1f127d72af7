from rest_framework.routers import SimpleRouter

from .views import PublicStoryViewSet, StoryViewSet

router = SimpleRouter()
router.register("stories", StoryViewSet, basename="api-story")
router.register("public/stories", PublicStoryViewSet, basename="api-public-story")

urlpatterns = router.urls
