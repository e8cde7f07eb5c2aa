"""Pages of the assistance app (精准帮扶), under /assistance/."""

from django.urls import path

from . import views

app_name = "assistance"

urlpatterns = [
    path("", views.home, name="home"),
    path("overdue/", views.overdue_page, name="overdue"),
    path("households/<int:household_id>/", views.plan_page, name="plan"),
    path("households/<int:household_id>/plan/", views.plan_create, name="plan_create"),
    path("households/<int:household_id>/given/", views.given_new, name="given_new"),
    path("households/<int:household_id>/visit/", views.visit_new, name="visit_new"),
    path("plans/<int:plan_id>/measures/", views.measure_add, name="measure_add"),
    path("plans/<int:plan_id>/<str:action>/", views.plan_move, name="plan_move"),
    path("measures/<int:measure_id>/status/", views.measure_status, name="measure_status"),
    path("given/<int:given_id>/cancel/", views.given_cancel, name="given_cancel"),
    path("photos/<int:photo_id>/", views.photo, name="photo"),
]
