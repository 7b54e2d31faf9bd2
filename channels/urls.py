from django.urls import path

from channels import views

app_name = "channels"

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_create, name="create"),
    path("<int:channel_id>/edit/", views.channel_edit, name="edit"),
    path("<int:channel_id>/sync/", views.channel_sync_now, name="sync"),
    path("<int:channel_id>/deliveries/", views.delivery_list, name="deliveries"),
    path("deliveries/<int:delivery_id>/retry/", views.delivery_retry, name="delivery-retry"),
]
