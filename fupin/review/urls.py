"""Pages of the review app."""

from django.urls import path  # noqa: F401

app_name = "review"
urlpatterns: list = []
