"""Pages of the identification procedure (识别程序), under /identification/."""

from django.urls import path

from . import views

app_name = "identification"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("<int:pk>/", views.case_page, name="case"),
    path("<int:pk>/<str:action>/", views.case_action, name="act"),
    path("village/<str:village_code>/<str:step>/", views.village_batch, name="village"),
]
