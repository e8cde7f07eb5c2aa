"""Pages of the household exit (精准退出), under /exits/."""

from django.urls import path

from . import views

app_name = "exits"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("lists/", views.lists_page, name="lists"),
    path("<int:pk>/", views.case_page, name="case"),
    path("<int:pk>/<str:action>/", views.case_action, name="act"),
    path("village/<str:village_code>/", views.village_page, name="village"),
    path("village/<str:village_code>/<str:step>/", views.village_batch, name="batch"),
]
