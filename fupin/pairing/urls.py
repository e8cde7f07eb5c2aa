"""Pages of the pairing app (结对帮扶、驻村工作队), under /pairing/."""

from django.urls import path

from . import views

app_name = "pairing"

urlpatterns = [
    path("", views.coverage_page, name="coverage"),
    path("mine/", views.my_households, name="mine"),
    path("helpers/", views.helper_list, name="helpers"),
    path("helpers/<int:pk>/", views.helper_page, name="helper"),
    path("helpers/<int:pk>/edit/", views.helper_edit, name="helper_edit"),
    path("helpers/<int:pk>/leave/", views.helper_leave, name="helper_leave"),
    path("households/<int:pk>/", views.household_page, name="household"),
    path("pairings/<int:pk>/end/", views.pairing_end, name="pairing_end"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_page, name="team"),
    path("members/<int:pk>/leave/", views.member_leave, name="member_leave"),
    path("places/", views.place_list, name="places"),
    path("places/<str:kind>/", views.place_list, name="places_kind"),
]
