from django.urls import path

from customers import views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("duplicates/", views.duplicates, name="duplicates"),
    path("vouchers/", views.voucher_list, name="vouchers"),
    path("loyalty/", views.loyalty_view, name="loyalty"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:campaign_id>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:campaign_id>/<slug:action>/", views.campaign_action, name="campaign-action"),
    path("<int:customer_id>/", views.customer_profile, name="profile"),
    path("<int:customer_id>/export/", views.customer_export, name="export"),
    path("<int:customer_id>/<slug:action>/", views.customer_action, name="action"),
]
