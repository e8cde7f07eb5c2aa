"""The endpoints the case procedures' routers share (识别 :mod:`.identification`, 退出 :mod:`.exits`):
完成环节, 驳回 / 未通过, 撤回, 登记异议, 处理异议 on one case, and the case list's page.

Thin adapters over the app's services (``source="api"``), which check the scope, the capability and the
procedure; each router keeps its own paths' descriptions (:class:`CaseEndpointDocs`), schemas and
operation ids (those of its module), so the OpenAPI document is the router's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Status

from .procedure import WRITE_RESPONSES, ObjectionIn, ObjectionOut, ReasonIn, ResolveIn, StepIn, objection_out
from .schemas import RecordId


@dataclass(frozen=True)
class CaseEndpointDocs:
    """The description of each shared endpoint, in the procedure's words (the OpenAPI ``description``)."""

    perform_step: str
    reject_case: str
    withdraw_case: str
    record_objection: str
    resolve_objection: str = "处理异议: the finding; ``upheld`` (异议成立) means the case must then be rejected."


def case_page(qs: QuerySet, query: Any, item: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """One page of a case list (``query.page``, ``query.page_size``), each case presented by ``item``."""
    start = (query.page - 1) * query.page_size
    return {"count": qs.count(), "page": query.page, "page_size": query.page_size,
            "items": [item(c) for c in qs[start: start + query.page_size]]}


def moved_out(cases: list[Any]) -> dict[str, Any]:
    """What a village batch answers: how many cases moved, and which."""
    return {"count": len(cases), "case_ids": [c.pk for c in cases]}


def add_case_endpoints(router: Router, *, module: str, services: Any, auth: Any, case_detail: type,
                       detail: Callable[[HttpRequest, int], dict[str, Any]], docs: CaseEndpointDocs) -> None:
    """Add the one-case writes to ``router``: ``POST /cases/{case_id}/steps/{step}``, ``…/reject``,
    ``…/withdraw``, ``…/objections`` and ``POST /objections/{objection_id}/resolve``, answering with
    ``detail(request, case_id)`` (schema ``case_detail``) or the objection. ``module``: the router's
    module, whose name the operation ids carry."""

    def options(name: str, response: dict[int, Any]) -> dict[str, Any]:
        return {"auth": auth, "response": response, "operation_id": f"{module}_{name}".replace(".", "_"),
                "description": inspect.cleandoc(getattr(docs, name))}

    write = {200: case_detail, **WRITE_RESPONSES}

    @router.post("/cases/{case_id}/steps/{step}", **options("perform_step", write))
    def perform_step(request: HttpRequest, case_id: RecordId, step: str, body: StepIn):
        services.perform_step(actor=request.auth, case_id=case_id, step=step, evidence=body.evidence,
                              comment=body.comment, on=body.on, expected_version=body.version, source="api")
        return detail(request, case_id)

    @router.post("/cases/{case_id}/reject", **options("reject_case", write))
    def reject_case(request: HttpRequest, case_id: RecordId, body: ReasonIn):
        services.reject(actor=request.auth, case_id=case_id, reason=body.reason, on=body.on,
                        expected_version=body.version, source="api")
        return detail(request, case_id)

    @router.post("/cases/{case_id}/withdraw", **options("withdraw_case", write))
    def withdraw_case(request: HttpRequest, case_id: RecordId, body: ReasonIn):
        services.withdraw(actor=request.auth, case_id=case_id, reason=body.reason, on=body.on,
                          expected_version=body.version, source="api")
        return detail(request, case_id)

    @router.post("/cases/{case_id}/objections", **options("record_objection", {201: ObjectionOut, **WRITE_RESPONSES}))
    def record_objection(request: HttpRequest, case_id: RecordId, body: ObjectionIn):
        o = services.record_objection(actor=request.auth, case_id=case_id, raised_by=body.raised_by, text=body.text,
                                      on=body.on, source="api")
        return Status(201, objection_out(o))

    @router.post("/objections/{objection_id}/resolve",
                 **options("resolve_objection", {200: ObjectionOut, **WRITE_RESPONSES}))
    def resolve_objection(request: HttpRequest, objection_id: RecordId, body: ResolveIn):
        o = services.resolve_objection(actor=request.auth, objection_id=objection_id, resolution=body.resolution,
                                       upheld=body.upheld, on=body.on, source="api")
        return objection_out(o)


__all__ = ["CaseEndpointDocs", "add_case_endpoints", "case_page", "moved_out"]
