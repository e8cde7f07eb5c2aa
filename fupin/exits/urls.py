"""Pages of the exits app."""

from django.urls import path  # noqa: F401

app_name = "exits"
urlpatterns: list = []
