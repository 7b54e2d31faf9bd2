from django.urls import path

from aftersales import views

app_name = "aftersales"

urlpatterns = [
    path("", views.case_list, name="cases"),
    path("cases/new/", views.case_create, name="case-create"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/return/", views.return_create_for_case, name="case-return"),
    path("cases/<int:case_id>/<slug:action>/", views.case_action, name="case-action"),
    path("attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("returns/", views.return_list, name="returns"),
    path("returns/<int:return_id>/", views.return_detail, name="return"),
    path("returns/<int:return_id>/<slug:action>/", views.return_action, name="return-action"),
    path("warranty/new/", views.warranty_create, name="warranty-create"),
    path("warranty/<int:claim_id>/<slug:action>/", views.warranty_action, name="warranty-action"),
    path("reviews/", views.review_list, name="reviews"),
    path("reviews/import/", views.review_import, name="review-import"),
    path("reviews/photos/<int:photo_id>/", views.review_photo_download, name="review-photo"),
    path("reviews/<int:review_id>/<slug:action>/", views.review_action, name="review-action"),
    path("feedback/", views.feedback_view, name="feedback"),
    path("settings/", views.settings_view, name="settings"),
]
