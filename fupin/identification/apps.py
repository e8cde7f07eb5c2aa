from django.apps import AppConfig


class IdentificationConfig(AppConfig):
    name = "fupin.identification"
    label = "identification"
    verbose_name = "识别 Identification"
