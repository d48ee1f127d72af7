from django.urls import path

from . import views

urlpatterns = [
    path("stories/<slug:slug>/", views.story_detail, name="story-detail"),
    path("healthz", views.healthz, name="healthz"),
]
