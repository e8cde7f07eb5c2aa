"""Policy versions in the admin (政策版本管理): how a county overrides policy without code.

A staff user whose role has ``policy.manage`` (county officers, administrators) sees the versions of
their own region and below; a superuser sees all. A **draft** is edited here: its title, dates, the
override JSON (poverty lines, year lag, standard, counted transfers, schemes …) and, as an inline,
its rule rows (识别条件 / 八不入), each rule text checked by the rule compiler with a clear form
error. Two actions: "新建草稿" copies a released version into a new draft; "发布" folds the rows into
the JSON and releases. A **released** version is read-only here, and the model refuses any write.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from fupin.core.scoping import ScopeError
from fupin.policy import clock, roles
from fupin.policy.regions import prefix_of

from . import services
from .choices import PolicyStatus
from .models import HouseholdDecision, PolicyVersion, RuleDefinition

_VERSION_FIELDS = ("region_code", "version", "title", "valid_from", "valid_to", "status", "based_on", "override",
                   "policy", "comment", "created_by_name", "created_at", "released_by_name", "released_at")


def _manages(request: HttpRequest, obj: PolicyVersion | None) -> bool:
    user = request.user
    if getattr(user, "is_superuser", False):
        return True
    if not user.has_capability(roles.MANAGE_POLICY):
        return False
    return obj is None or services.may_manage(user, obj.region_code)


def _editable(request: HttpRequest, obj: PolicyVersion | None) -> bool:
    return _manages(request, obj) and (obj is None or obj.status == PolicyStatus.DRAFT)


class RuleDefinitionInline(admin.TabularInline):
    """规则 rows of a draft; read-only once the version is released."""

    model = RuleDefinition
    fields = ("position", "kind", "rule_id", "label_zh", "label_en", "text", "enabled", "description")
    extra = 0
    ordering = ("kind", "position", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and _editable(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and _editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and _editable(request, obj)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "region_code", "title", "valid_from", "valid_to", "status", "released_at")
    list_filter = ("status",)
    search_fields = ("version", "region_code", "title")
    inlines = [RuleDefinitionInline]
    actions = ["new_draft_from", "release"]
    fields = _VERSION_FIELDS

    def get_queryset(self, request: HttpRequest) -> QuerySet[PolicyVersion]:
        qs = super().get_queryset(request)
        user = request.user
        if getattr(user, "is_superuser", False):
            return qs
        if not user.has_capability(roles.MANAGE_POLICY):
            return qs.none()
        return qs.filter(Q(region_code__startswith=prefix_of(user.region.code, user.region.level)))

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> tuple[str, ...]:
        fixed = ("status", "based_on", "policy", "created_by_name", "created_at", "released_by_name", "released_at")
        if obj is None:
            return fixed
        if not _editable(request, obj):
            return _VERSION_FIELDS
        return ("region_code", *fixed)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _manages(request, None)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _manages(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _manages(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _editable(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is not None and _editable(request, obj)

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form: Any, change: bool) -> None:
        """A new version is made by the service (it copies the policy in force and its rule rows)."""
        if change:
            super().save_model(request, obj, form, change)
            return
        draft = services.new_draft(actor=request.user, region_code=obj.region_code, version=obj.version,
                                   valid_from=obj.valid_from, valid_to=obj.valid_to, title=obj.title,
                                   comment=obj.comment, override=obj.override)
        obj.pk = draft.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        if change:  # a new draft's rows come from the service, not from the (empty) inline
            super().save_related(request, form, formsets, change)

    def get_inlines(self, request: HttpRequest, obj: PolicyVersion | None) -> list[Any]:
        return [] if obj is None else self.inlines

    @admin.action(description="基于所选已发布版本新建草稿 / new draft from the selected released version")
    def new_draft_from(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for base in queryset.filter(status=PolicyStatus.RELEASED):
            region = base.region_code
            if not services.may_manage(request.user, region):
                region = request.user.region.code if getattr(request.user, "region", None) else region
            label = f"{base.version}-draft-{clock.today():%Y%m%d}"
            try:
                draft = services.new_draft(actor=request.user, region_code=region, version=label,
                                           valid_from=clock.today(), based_on=base)
            except (services.RulesRefused, ScopeError) as exc:
                self.message_user(request, getattr(exc, "message", str(exc)), messages.ERROR)
            else:
                self.message_user(request, f"已新建草稿 {draft.version} / draft created", messages.SUCCESS)

    @admin.action(description="发布所选草稿 / release the selected drafts")
    def release(self, request: HttpRequest, queryset: QuerySet[PolicyVersion]) -> None:
        for version in queryset.filter(status=PolicyStatus.DRAFT):
            try:
                services.release_policy(actor=request.user, version_id=version.pk)
            except (services.RulesRefused, ScopeError) as exc:
                self.message_user(request, f"{version.version}: {getattr(exc, 'message', str(exc))}", messages.ERROR)
            else:
                self.message_user(request, f"已发布 {version.version} / released", messages.SUCCESS)


@admin.register(HouseholdDecision)
class HouseholdDecisionAdmin(admin.ModelAdmin):
    """Stored decisions are evidence: read-only, scoped."""

    list_display = ("made_at", "household", "kind", "outcome", "policy_version", "context", "made_by_name")
    list_filter = ("kind", "outcome", "context")
    raw_id_fields = ("household",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[HouseholdDecision]:
        from fupin.core.scoping import visible_to

        qs = super().get_queryset(request)
        return qs if getattr(request.user, "is_superuser", False) else visible_to(request.user, qs)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
