from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "fupin.screening"
    label = "screening"
    verbose_name = "数据比对 Cross-department screening"
