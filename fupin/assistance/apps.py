from django.apps import AppConfig


class AssistanceConfig(AppConfig):
    name = "fupin.assistance"
    label = "assistance"
    verbose_name = "精准帮扶 Assistance"
