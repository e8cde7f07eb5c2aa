"""Base models and the audit trail (变更记录).

Every create or update of a registry record writes a :class:`ChangeRecord`: who, when, which object,
which fields, old → new. Services write them explicitly (no signals), and bulk loads write them in
bulk, so the trail has no gaps. Nothing here is ever updated or deleted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Versioned(models.Model):
    """Optimistic concurrency (并发控制): every save through a service bumps ``version``; a save that
    started from an older version is refused."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True


class ChangeAction(models.TextChoices):
    CREATE = "create", "新增 created"
    UPDATE = "update", "修改 updated"
    STATUS = "status", "状态变更 status changed"


class ChangeRecord(models.Model):
    """变更记录 — one write to one registry record."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True, help_text="username at the time, or 'system'")
    action = models.CharField(max_length=10, choices=ChangeAction.choices)
    model = models.CharField(max_length=60, help_text="app_label.model")
    object_id = models.CharField(max_length=40)
    household_id = models.BigIntegerField(null=True, blank=True, db_index=True,
                                          help_text="the household this record belongs to, for its history")
    region_code = models.CharField(max_length=12, blank=True, db_index=True)
    changes = models.JSONField(default=dict, help_text="{field: [old, new]}")
    source = models.CharField(max_length=40, blank=True, help_text="web, api, cli, import, demo …")
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["model", "object_id"])]
        verbose_name = "变更记录 change record"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.model}#{self.object_id}"
