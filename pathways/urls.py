from django.urls import path

from pathways import views

app_name = "pathways"

urlpatterns = [
    path("pathway/", views.my_pathway, name="mine"),
    path("pathway/aspirations/", views.aspirations_edit, name="aspirations"),
    path("pathway/pause/", views.pause, name="pause"),
    path("pathway/evidence/new/", views.evidence_new, name="evidence-new"),
    path("pathway/evidence/<int:pk>/file/", views.evidence_file, name="evidence-file"),
    path("pathway/evidence/<int:pk>/review/", views.evidence_review_view, name="evidence-review"),
    path("organisations/<slug:slug>/readiness/", views.readiness, name="readiness"),
    path("organisations/<slug:slug>/evidence/", views.evidence_queue, name="evidence-queue"),
    path(
        "organisations/<slug:slug>/people/<int:user_id>/pathway/",
        views.person_pathway,
        name="person",
    ),
    path(
        "organisations/<slug:slug>/people/<int:user_id>/pathway/decision/",
        views.stage_decision,
        name="decision",
    ),
    path(
        "organisations/<slug:slug>/people/<int:user_id>/pathway/join/",
        views.join_pathway,
        name="join",
    ),
]
