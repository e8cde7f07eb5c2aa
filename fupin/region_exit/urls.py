"""Pages of village exit (出列) and county exit (摘帽), under /region-exit/."""

from django.urls import path

from . import views

app_name = "region_exit"
urlpatterns = [
    path("", views.index, name="index"),
    path("area/<str:code>/", views.area_page, name="area"),
    path("area/<str:code>/county-exit/", views.county_exit, name="county_exit"),
    path("village/<str:code>/", views.village_page, name="village"),
    path("village/<str:code>/conditions/", views.conditions_record, name="conditions"),
    path("village/<str:code>/propose/", views.propose, name="propose"),
    path("case/<int:pk>/<str:action>/", views.case_action, name="act"),
]
