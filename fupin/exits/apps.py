from django.apps import AppConfig


class ExitsConfig(AppConfig):
    name = "fupin.exits"
    label = "exits"
    verbose_name = "精准退出 Household exit"
