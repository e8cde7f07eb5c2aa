"""Page URLs of the roster import and export (导入导出), under /imports/."""

from django.urls import path

from . import leaving_views, views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list, name="list"),
    path("template.xlsx", views.template_file, name="template"),
    path("export/", views.export, name="export"),
    path("exports/", views.export_records, name="exports"),
    path("<int:pk>/", views.batch_page, name="batch"),
    path("<int:pk>/progress/", views.batch_progress, name="progress"),
    path("<int:pk>/merge/", views.batch_merge, name="merge"),
    path("<int:pk>/refuse/", views.batch_refuse, name="refuse"),
    path("<int:pk>/hold/", views.batch_hold, name="hold"),
    path("<int:pk>/validate/", views.batch_revalidate, name="revalidate"),
    path("<int:pk>/errors.xlsx", views.batch_errors, name="errors"),
    path("<int:pk>/file/", views.batch_file, name="file"),
    path("<int:pk>/absent.xlsx", views.batch_absent, name="absent"),
    path("<int:pk>/rows-to-fix.xlsx", views.batch_rows_to_fix, name="rows_to_fix"),
    path("<int:pk>/changes/", views.batch_changes, name="changes"),
    path("<int:pk>/changes.xlsx", views.batch_changes_xlsx, name="changes_xlsx"),
    path("<int:pk>/leaving/", leaving_views.batch_leaving, name="leaving"),
    path("<int:pk>/leaving/sheet.xlsx", leaving_views.batch_leaving_sheet, name="leaving_sheet"),
    path("<int:pk>/leaving/sheet/", leaving_views.batch_leaving_upload, name="leaving_upload"),
    path("<int:pk>/leaving/sheets/<int:sheet_pk>/file/", leaving_views.batch_leave_sheet_file, name="leave_sheet_file"),
]
