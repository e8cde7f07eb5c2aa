from django.apps import AppConfig


class RegionExitConfig(AppConfig):
    name = "fupin.region_exit"
    label = "region_exit"
    verbose_name = "贫困村出列与贫困县摘帽 Village and county exit"
