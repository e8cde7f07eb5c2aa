"""Pages of the region_exit app."""

from django.urls import path  # noqa: F401

app_name = "region_exit"
urlpatterns: list = []
