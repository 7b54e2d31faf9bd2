from django.urls import path

from sop import api

urlpatterns = [
    path("sop/steps/", api.StepListApi.as_view(), name="api-sop-steps"),
    path("sop/steps/<int:pk>/", api.StepDetailApi.as_view(), name="api-sop-step"),
    path("sop/steps/<int:pk>/versions/", api.StepReviseApi.as_view(), name="api-sop-step-revise"),
    path("sop/acknowledgements/", api.AcknowledgementApi.as_view(), name="api-sop-acknowledge"),
    path("sop/compliance/", api.ComplianceApi.as_view(), name="api-sop-compliance"),
]
