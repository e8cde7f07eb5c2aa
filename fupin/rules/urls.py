"""Pages of the rules app (规则与判定), under /rules/."""

from django.urls import path

from . import views

app_name = "rules"

urlpatterns = [
    path("", views.policy_page, name="policy"),
    path("try/", views.try_rule, name="try"),
    path("runs/", views.runs, name="runs"),
    path("runs/<int:pk>/", views.rule_run, name="rule_run"),
    path("runs/<int:pk>/progress/", views.rule_run_progress, name="rule_run_progress"),
    path("pathways/", views.start_scheme, name="start_scheme"),
    path("pathways/<int:pk>/", views.pathway_run, name="pathway_run"),
    path("pathways/<int:pk>/progress/", views.pathway_run_progress, name="pathway_run_progress"),
    path("households/<int:pk>/", views.household_page, name="household"),
]
