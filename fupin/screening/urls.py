"""Pages of the cross-department comparison (数据比对), under /screening/."""

from django.urls import path

from . import views

app_name = "screening"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("hits/<int:pk>/", views.hit_page, name="hit"),
    path("hits/<int:pk>/decide/", views.decide, name="decide"),
    path("lists/", views.lists_page, name="lists"),
    path("lists/<int:pk>/", views.list_page, name="list"),
    path("lists/<int:pk>/rejections.xlsx", views.list_rejections, name="list_rejections"),
    path("runs/", views.runs_page, name="runs"),
    path("runs/<int:pk>/", views.run_page, name="run"),
]
