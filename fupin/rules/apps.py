from django.apps import AppConfig


class RulesConfig(AppConfig):
    name = "fupin.rules"
    label = "rules"
    verbose_name = "规则与判定 Rules and decisions"
