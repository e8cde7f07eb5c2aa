"""Members (家庭成员) in the API: change one member. Adding one is ``POST /households/{id}/members``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from fupin.core.scoping import get_visible_or_404
from fupin.registry import selectors, services
from fupin.registry.models import Member

from . import payload, present
from .auth import editor_auth
from .schemas import DetailOut, ErrorOut, MemberOut, MemberPatch, RecordId

router = Router(tags=["members 家庭成员"])


def member_out(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """The member as the requesting user may see it (404 when out of scope)."""
    m = get_visible_or_404(request.auth, Member.objects.all(), pk=member_id)
    elsewhere = selectors.members_elsewhere(request.auth, [m]).get(m.pk)
    return present.member(m, full_id=request.auth.may_see_full_id, elsewhere=elsewhere)


@router.patch("/{member_id}", auth=editor_auth,
              response={200: MemberOut, 401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut})
def update_member(request: HttpRequest, member_id: RecordId, body: MemberPatch):
    """修改成员: change the fields sent; ``version`` must be the one the client read (else 409)."""
    data = body.model_dump(exclude_unset=True)
    version = data.pop("version")
    services.update_member(actor=request.auth, member_id=member_id, expected_version=version,
                           data=payload.clean(Member, data), source="api")
    return member_out(request, member_id)
