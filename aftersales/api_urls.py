from rest_framework.routers import SimpleRouter

from aftersales.api import CaseViewSet, ReturnViewSet, ReviewViewSet

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-cases")
router.register("returns", ReturnViewSet, basename="api-returns")
router.register("reviews", ReviewViewSet, basename="api-reviews")

urlpatterns = router.urls
