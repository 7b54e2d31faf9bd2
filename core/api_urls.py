from django.urls import path

from core import api_views

urlpatterns = [
    path("me/", api_views.MeApi.as_view(), name="api-me"),
]
