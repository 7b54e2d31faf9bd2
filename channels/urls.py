from django.urls import path

from channels import views

app_name = "channels"  # served through marketplaces.urls, which adds the marketplace pages

urlpatterns = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_create, name="create"),
    path("<int:channel_id>/edit/", views.channel_edit, name="edit"),
]
