from django.urls import path

from sop import views

app_name = "sop"

urlpatterns = [
    path("", views.handbook, name="handbook"),
    path("acknowledge/", views.acknowledge, name="acknowledge"),
    path("steps/<int:step_id>/", views.step_detail, name="step"),
    path("steps/<int:step_id>/revise/", views.step_revise, name="revise"),
    path("compliance/", views.compliance, name="compliance"),
    path("onboarding/", views.onboarding, name="onboarding"),
    path("quiz/<slug:stage>/", views.quiz, name="quiz"),
]
