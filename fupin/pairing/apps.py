from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "fupin.pairing"
    label = "pairing"
    verbose_name = "结对帮扶 Pairing and work teams"
