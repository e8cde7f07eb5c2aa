"""Pages of the monitoring app (防返贫监测), under /monitoring/."""

from django.urls import path

from . import views

app_name = "monitoring"

urlpatterns = [
    path("", views.object_list, name="list"),
    path("new/", views.edge_household_new, name="new"),
    path("<int:pk>/", views.object_page, name="object"),
    path("<int:pk>/<str:action>/", views.object_action, name="act"),
    path("household/<int:household_id>/", views.household_page, name="household"),
    path("runs/", views.run_list, name="runs"),
    path("runs/<int:pk>/", views.run_page, name="run"),
    path("data/", views.data_list_page, name="data"),
    path("data/<int:pk>/", views.data_list_detail, name="data_list"),
    path("policy/", views.policy_page, name="policy"),
]
