from rest_framework.routers import SimpleRouter

from payments.api import PaymentViewSet, RefundViewSet, StatementImportViewSet

router = SimpleRouter()
router.register("payments/statement-imports", StatementImportViewSet, basename="api-statement-imports")
router.register("payments/refunds", RefundViewSet, basename="api-refunds")
router.register("payments", PaymentViewSet, basename="api-payments")

urlpatterns = router.urls
