"""Pages of the yearly review (动态调整), under /review/."""

from django.urls import path

from . import views

app_name = "review"
urlpatterns = [
    path("", views.review_list, name="list"),
    path("open/", views.cycle_open, name="open"),
    path("snapshot/", views.snapshot_take, name="snapshot"),
    path("flows/", views.flow_report, name="flows"),
    path("flows/households/", views.flow_households, name="households"),
    path("<int:pk>/", views.cycle_page, name="cycle"),
    path("<int:pk>/close/", views.cycle_close, name="close"),
]
