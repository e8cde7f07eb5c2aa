"""Administrative divisions (行政区划), keyed by the 12-digit statistical code."""

from __future__ import annotations

from django.db import models

from fupin.policy import regions as region_policy


class Region(models.Model):
    """行政区划 — a province, prefecture, county, township or village.

    ``code`` is the 12-digit NBS statistical code (统计用区划代码); the parent is found by prefix and
    kept as a foreign key for convenience. Flags carry the poverty-work designations.
    """

    LEVEL_CHOICES = [(lv, f"{zh} {en}") for lv, (zh, en) in region_policy.LEVEL_NAMES.items()]

    code = models.CharField("区划代码 code", max_length=12, primary_key=True)
    name = models.CharField("名称 name", max_length=100)
    level = models.PositiveSmallIntegerField("级别 level", choices=LEVEL_CHOICES, db_index=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    is_poor_village = models.BooleanField("贫困村 poor village", default=False)
    is_deep_poverty = models.BooleanField("深度贫困 deep poverty", default=False)
    is_western = models.BooleanField("西部地区 western region (3% exit threshold)", default=False)
    is_key_county = models.BooleanField("重点县 key county", default=False)
    is_generated = models.BooleanField(
        "生成数据 generated", default=False, help_text="not from an official list (e.g. a demo village)"
    )
    rural_population = models.PositiveIntegerField(
        "农村人口 rural population", null=True, blank=True,
        help_text="denominator of poverty incidence; empty means unknown",
    )
    agricultural_population = models.PositiveIntegerField(
        "户籍农业人口 registered agricultural population", null=True, blank=True,
        help_text="the other denominator of poverty incidence (fupin.policy.area_exit); empty means unknown",
    )
    population_source = models.CharField("人口数来源 population source", max_length=200, blank=True)
    exit_year = models.PositiveSmallIntegerField(
        "出列/摘帽年度 exited in", null=True, blank=True,
        help_text="year a poor village exited (出列) or a poor county exited (摘帽), set by fupin.region_exit; "
                  "the designation flags stay (四个不摘)",
    )
    source = models.CharField("来源 source", max_length=200, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = "行政区划 region"

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def prefix(self) -> str:
        return region_policy.prefix_of(self.code, self.level)

    @property
    def level_label(self) -> str:
        return region_policy.LEVEL_NAMES[self.level][0]

    def ancestors(self) -> list[Region]:
        """Province … parent, top first (one query)."""
        codes = [c for lv, c in region_policy.ancestor_codes(self.code).items() if lv < self.level]
        by_code = {r.code: r for r in Region.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]
