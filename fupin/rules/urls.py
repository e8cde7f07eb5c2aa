"""Pages of the rules app."""

from django.urls import path  # noqa: F401

app_name = "rules"
urlpatterns: list = []
