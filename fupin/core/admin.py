"""The audit trail is read-only everywhere, the admin included."""

from django.contrib import admin

from fupin.policy import roles

from .models import ChangeRecord
from .scoping import visible_to


@admin.register(ChangeRecord)
class ChangeRecordAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "model", "object_id", "household_id", "region_code", "source")
    list_filter = ("action", "model", "source")
    search_fields = ("object_id", "region_code", "actor_name")

    def get_queryset(self, request):
        return visible_to(request.user, super().get_queryset(request), roles.VIEW_AUDIT)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
