"""Pages of the assistance app."""

from django.urls import path  # noqa: F401

app_name = "assistance"
urlpatterns: list = []
