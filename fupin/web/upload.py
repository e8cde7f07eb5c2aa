"""上传进度 — what the server does for an upload sent with progress (``static/fupin/upload.js``).

The script sends a file form with XMLHttpRequest and the header ``X-Fupin-Upload``. A redirect would
be followed inside that request — the page it leads to read once there, its messages used up — and
then loaded again by the script. So for such a request :func:`redirect_for_upload` turns the view's
redirect into ``204 No Content`` with ``X-Fupin-Redirect: <url>``, and the script loads that page
itself. Any other answer (the form with its errors) is left as it is. A plain POST (no JavaScript)
gets the redirect.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseRedirectBase

UPLOAD_HEADER = "X-Fupin-Upload"
REDIRECT_HEADER = "X-Fupin-Redirect"


def redirect_for_upload(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wrap an upload view: its redirect, for a request sent by the upload script, becomes a 204 with
    :data:`REDIRECT_HEADER` (see the module docstring)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if request.method == "POST" and request.headers.get(UPLOAD_HEADER) == "1" \
                and isinstance(response, HttpResponseRedirectBase):
            answer = HttpResponse(status=204)
            answer[REDIRECT_HEADER] = response["Location"]
            return answer
        return response

    return wrapped
