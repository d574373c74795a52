from django.urls import path

from courses import views

app_name = "courses"

urlpatterns = [
    path("learning/courses/<int:course_id>/enrol/", views.enrol, name="enrol"),
    path("learning/courses/<int:course_id>/refresher/", views.refresher, name="refresher"),
    path(
        "learning/modules/<int:module_id>/checks/<str:check_id>/",
        views.knowledge_check_submit_view,
        name="check-submit",
    ),
    path(
        "learning/modules/<int:module_id>/finish/", views.module_finish_view, name="module-finish"
    ),
    path(
        "learning/modules/<int:module_id>/reflections/<str:prompt_id>/",
        views.reflection_save_view,
        name="reflection-save",
    ),
    path("learning/reflections/", views.reflection_list, name="reflections"),
    path(
        "learning/reflections/<int:pk>/share/", views.reflection_share_view, name="reflection-share"
    ),
    path(
        "learning/reflections/<int:pk>/delete/",
        views.reflection_delete_view,
        name="reflection-delete",
    ),
    path(
        "learning/reflections/<int:pk>/restore/",
        views.reflection_restore_view,
        name="reflection-restore",
    ),
    path("learning/certificates/", views.certificate_list, name="certificates"),
    path(
        "learning/certificates/<str:code>/download/",
        views.certificate_download,
        name="certificate-download",
    ),
    path(
        "learning/certificates/<str:code>/name/",
        views.certificate_show_name,
        name="certificate-show-name",
    ),
    path("certificates/<str:code>/", views.certificate_verify, name="certificate-verify"),
    path("organisations/<slug:slug>/learning/", views.learner_record_list, name="learner-records"),
    path("organisations/<slug:slug>/learning/assign/", views.assign, name="assign"),
]
