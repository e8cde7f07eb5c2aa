from django.contrib import admin

from .models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Configuration of divisions: flags and population figures. Codes and names come from the loader."""

    list_display = ("code", "name", "level", "is_poor_village", "is_deep_poverty", "is_western", "is_key_county",
                    "rural_population", "agricultural_population", "exit_year")
    list_filter = ("level", "is_poor_village", "is_deep_poverty", "is_western", "is_key_county", "is_generated")
    search_fields = ("code", "name")
    readonly_fields = ("code", "name", "level", "parent", "source", "exit_year")  # exit_year: region_exit
    list_per_page = 100

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
