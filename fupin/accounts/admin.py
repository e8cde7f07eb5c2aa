from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "role", "region", "is_active", "last_login")
    list_filter = ("role", "is_active")
    raw_id_fields = ("region",)
    fieldsets = (*BaseUserAdmin.fieldsets, ("fupin", {"fields": ("role", "region", "phone")}))


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created_at", "last_used_at", "revoked")
    readonly_fields = ("prefix", "key_hash", "user", "created_at", "last_used_at")
