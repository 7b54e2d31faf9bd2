from django.urls import path

from marketplaces import api

urlpatterns = [
    path("channels/<int:pk>/sync/", api.ChannelSyncApi.as_view(), name="api-channel-sync"),
    path("channels/<int:pk>/deliveries/", api.ChannelDeliveryListApi.as_view(), name="api-channel-deliveries"),
]
