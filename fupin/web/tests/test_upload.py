"""上传进度: an upload sent by the page's script gets the redirect as a 204 it can follow itself
(fupin.web.upload); the browser tests send real files through the script."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import RequestFactory

from fupin.web.upload import REDIRECT_HEADER, UPLOAD_HEADER, redirect_for_upload


@redirect_for_upload
def _view(request, ok: bool):
    return redirect("/imports/7/") if ok else HttpResponse("form with errors", status=422)


def test_a_redirect_becomes_a_204_naming_the_page_for_the_script_only():
    factory = RequestFactory()
    scripted = _view(factory.post("/imports/", headers={UPLOAD_HEADER: "1"}), ok=True)
    assert (scripted.status_code, scripted[REDIRECT_HEADER], scripted.content) == (204, "/imports/7/", b"")
    plain = _view(factory.post("/imports/"), ok=True)
    assert (plain.status_code, plain["Location"], REDIRECT_HEADER in plain) == (302, "/imports/7/", False)
    refused = _view(factory.post("/imports/", headers={UPLOAD_HEADER: "1"}), ok=False)
    assert (refused.status_code, refused.content) == (422, b"form with errors")  # shown by the script as it is


def test_the_import_page_answers_the_script_with_the_batch_page(client, db, settings):
    """The roster upload itself, through the view: the script's request gets 204 and the batch's page."""
    settings.FUPIN_IMPORT_SYNC = True
    from fupin.imports.models import ImportBatch
    from fupin.imports.tests.test_views import household_rows, roster_csv
    from fupin.testing import MINGXI, first_village, load_test_regions, make_user_for

    load_test_regions()
    client.force_login(make_user_for("county", MINGXI))

    village = first_village(MINGXI)
    upload = SimpleUploadedFile("花名册.csv", roster_csv(household_rows(village, f"{village}80001", members=2)))
    answer = client.post("/imports/", {"file": upload, "region_code": MINGXI, "mode": "households"},
                         headers={UPLOAD_HEADER: "1"})
    batch = ImportBatch.objects.get()
    assert (answer.status_code, answer[REDIRECT_HEADER]) == (204, f"/imports/{batch.pk}/")
