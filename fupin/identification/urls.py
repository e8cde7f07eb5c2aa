"""Pages of the identification app."""

from django.urls import path  # noqa: F401

app_name = "identification"
urlpatterns: list = []
