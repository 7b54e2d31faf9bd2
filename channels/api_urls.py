from django.urls import path

from channels import api

urlpatterns = [
    path("channels/", api.ChannelListApi.as_view(), name="api-channels"),
    path("channels/<int:pk>/", api.ChannelDetailApi.as_view(), name="api-channel"),
]
