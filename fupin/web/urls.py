"""Page URLs (页面地址). The JSON API lives under /api/v1/, language switching under /i18n/."""

from django.urls import path

from .views import auth, history, household_edit, households, members, regions

app_name = "web"

urlpatterns = [
    path("", auth.home, name="home"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("regions/<str:code>/", regions.region_page, name="region"),
    path("households/", households.household_list, name="households"),
    path("households/new/", household_edit.household_create, name="household_create"),
    path("households/<int:pk>/", households.household_page, name="household"),
    path("households/<int:pk>/edit/", household_edit.household_edit, name="household_edit"),
    path("households/<int:pk>/history/", history.household_history, name="household_history"),
    path("households/<int:pk>/members/new/", members.member_add, name="member_add"),
    path("members/<int:pk>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:pk>/leave/", members.member_leave, name="member_leave"),
]
