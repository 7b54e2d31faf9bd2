from django.urls import path
from rest_framework.routers import SimpleRouter

from shipping.api import RateQuoteApi, ShipmentViewSet

router = SimpleRouter()
router.register("shipments", ShipmentViewSet, basename="api-shipments")

urlpatterns = [
    path("shipping/rates/", RateQuoteApi.as_view(), name="api-shipping-rates"),
    *router.urls,
]
