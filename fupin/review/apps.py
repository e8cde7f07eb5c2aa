from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "fupin.review"
    label = "review"
    verbose_name = "动态调整 Yearly review and snapshots"
