from django.urls import path
from rest_framework.routers import SimpleRouter

from customers import api

router = SimpleRouter()
router.register("vouchers", api.VoucherViewSet, basename="api-vouchers")

urlpatterns = [
    path("customers/merge/", api.MergeApi.as_view(), name="api-customers-merge"),
    path("customers/<int:pk>/profile/", api.ProfileApi.as_view(), name="api-customers-profile"),
    path("customers/<int:pk>/timeline/", api.TimelineApi.as_view(), name="api-customers-timeline"),
    path("customers/<int:pk>/tags/", api.TagsApi.as_view(), name="api-customers-tags"),
    path("customers/<int:pk>/notes/", api.NotesApi.as_view(), name="api-customers-notes"),
    path("customers/<int:pk>/consents/", api.ConsentsApi.as_view(), name="api-customers-consents"),
    path("customers/<int:pk>/export/", api.ExportApi.as_view(), name="api-customers-export"),
    path("customers/<int:pk>/erase/", api.EraseApi.as_view(), name="api-customers-erase"),
    path("loyalty/<int:customer_id>/", api.LoyaltyApi.as_view(), name="api-loyalty"),
    path("loyalty/<int:customer_id>/adjust/", api.LoyaltyAdjustApi.as_view(), name="api-loyalty-adjust"),
    *router.urls,
]
