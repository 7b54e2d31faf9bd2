from django.urls import path

from notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/", views.notification_detail, name="detail"),
    path("<int:notification_id>/retry/", views.notification_retry, name="retry"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:template_id>/", views.template_edit, name="template-edit"),
    path("templates/<int:template_id>/preview/", views.template_preview, name="template-preview"),
]
