from django.urls import path

from marketplaces import webhooks

urlpatterns = [
    path("shopee/", webhooks.shopee_push, name="webhook-shopee"),
    path("tiktok/", webhooks.tiktok_push, name="webhook-tiktok"),
    path("lazada/", webhooks.lazada_push, name="webhook-lazada"),
    path("tokopedia/", webhooks.tokopedia_push, name="webhook-tokopedia"),
]
