from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views
from core.files import media
from notifications import views as notification_views

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("channels.api_urls")),
    path("", include("marketplaces.api_urls")),
    path("", include("catalog.api_urls")),
    # before orders: its /customers/<id>/ route would take /customers/merge/ and the like
    path("", include("customers.api_urls")),
    path("", include("orders.api_urls")),
    path("", include("payments.api_urls")),
    path("", include("shipping.api_urls")),
    path("", include("aftersales.api_urls")),
    path("", include("analytics.api_urls")),
    path("", include("sop.api_urls")),
]

# Inbound provider endpoints, one include per app that receives webhooks.
webhooks = [
    path("", include("marketplaces.webhook_urls")),
    path("", include("payments.webhook_urls")),
    path("", include("shipping.webhook_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="dashboard:home", permanent=False)),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("core.auth_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dashboard/", include("core.urls")),
    path("dashboard/catalog/", include("catalog.urls")),
    path("dashboard/orders/", include("orders.urls")),
    path("dashboard/payments/", include("payments.urls")),
    path("dashboard/channels/", include("marketplaces.urls")),
    path("dashboard/shipping/", include("shipping.urls")),
    path("dashboard/aftersales/", include("aftersales.urls")),
    path("dashboard/customers/", include("customers.urls")),
    path("dashboard/notifications/", include("notifications.urls")),
    path("dashboard/reports/", include("analytics.urls")),
    path("dashboard/sop/", include("sop.urls")),
    path("webhooks/", include(webhooks)),
    path("track/", include("orders.track_urls")),
    path("care/", include("aftersales.care_urls")),
    path("pay/", include("payments.upload_urls")),
    path("unsubscribe/<str:token>/", notification_views.unsubscribe, name="unsubscribe"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", core_views.login_first(SpectacularSwaggerSplitView.as_view(url_name="api-schema")),
         name="api-docs"),
    path("admin/", admin.site.urls),
]

# Public uploads (product photos) with safe headers, in development and production alike;
# behind a proxy that serves /media/ itself this route is simply never reached.
urlpatterns += [path("media/<path:path>", media, name="media")]

handler400 = "core.middleware.bad_request"
handler404 = "core.middleware.page_not_found"
handler500 = "core.middleware.server_error"
