from django.urls import path

from . import views

urlpatterns = [
    path("sources/snapshots/<int:snapshot_id>/", views.snapshot_detail, name="snapshot-detail"),
    path("sources/<str:key>/", views.source_detail, name="source-detail"),
]
