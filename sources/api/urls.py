from rest_framework.routers import SimpleRouter

from .views import SourceViewSet

router = SimpleRouter()
router.register("sources", SourceViewSet, basename="api-source")

urlpatterns = router.urls
