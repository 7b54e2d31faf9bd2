"""The customer's after-sales actions, mounted at /care/; authorised by the order's secret link."""

from django.urls import path

from aftersales import care_views

app_name = "care"

urlpatterns = [
    path("i/<str:token>/", care_views.invitation, name="invitation"),
    path("<str:number>/<str:key>/complaint/", care_views.complaint, name="complaint"),
    path("<str:number>/<str:key>/return/", care_views.return_request, name="return"),
    path("<str:number>/<str:key>/cases/<int:case_id>/message/", care_views.case_message, name="message"),
    path("<str:number>/<str:key>/review/", care_views.review, name="review"),
    path("<str:number>/<str:key>/survey/", care_views.survey, name="survey"),
]
