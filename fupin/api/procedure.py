"""What the procedure routers (识别 :mod:`.identification`, 退出 :mod:`.exits`, 监测 :mod:`.monitoring`) share:
the schemas of steps, events, objections and the step / reason / objection bodies, and how a step, an
event and an objection are presented.

A refused action needs no handling here: the services raise :class:`fupin.registry.services.RegistryError`
(or a subclass), which :mod:`.errors` turns into 422 (409 for a stale ``version``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from .schemas import DetailOut, ErrorOut

WRITE_RESPONSES = {401: DetailOut, 404: DetailOut, 409: ErrorOut, 422: ErrorOut}
STRICT = ConfigDict(extra="forbid")


# ------------------------------------------------------------------------------------------ schemas


class StepOut(Schema):
    id: str
    label_zh: str
    label_en: str
    level: str
    roles: list[str]
    evidence_fields: list[str] = Field(..., description="材料字段 / evidence fields to send")
    publicity_days: int | None
    runs_decision: bool
    quorum: str | None


class EventOut(Schema):
    id: int
    step: str
    action: str
    on: dt.date
    at: dt.datetime
    actor_name: str
    actor_role: str
    evidence: dict[str, Any]
    comment: str
    objection_id: int | None
    decision_id: int | None
    batch: str


class ObjectionOut(Schema):
    id: int
    case_id: int
    step: str
    raised_by: str
    text: str
    raised_on: dt.date
    resolved_on: dt.date | None
    resolved_by_name: str
    resolution: str
    upheld: bool | None


class ReasonOut(Schema):
    rule_id: str = ""
    label_zh: str = ""
    label_en: str = ""


class StepIn(Schema):
    evidence: dict[str, Any] = Field(default_factory=dict, description="材料 / evidence fields of the step")
    comment: str = ""
    on: dt.date | None = None
    version: int | None = Field(None, description="the case version the client read (并发控制)")

    model_config = STRICT


class ReasonIn(Schema):
    reason: str
    on: dt.date | None = None
    version: int | None = None

    model_config = STRICT


class ObjectionIn(Schema):
    raised_by: str = Field("", description="异议人 (empty: anonymous)")
    text: str
    on: dt.date | None = None

    model_config = STRICT


class ResolveIn(Schema):
    resolution: str
    upheld: bool = False
    on: dt.date | None = None

    model_config = STRICT


# ------------------------------------------------------------------------------------------ presenting


def step_out(step: Any, evidence_fields: list[Any] | None = None, *, decision: bool = True) -> dict[str, Any]:
    """A procedure step as :class:`StepOut` (``evidence_fields`` default: the step's own; without
    ``decision`` only the fields the monitoring step has)."""
    fields = step.evidence_fields() if evidence_fields is None else evidence_fields
    out = {"id": step.id, "label_zh": step.label_zh, "label_en": step.label_en, "level": step.level,
           "roles": sorted(step.roles), "evidence_fields": [f.name for f in fields],
           "publicity_days": step.publicity_days}
    if decision:
        out.update(runs_decision=step.runs_decision, quorum=None if step.quorum is None else str(step.quorum))
    return out


def event_out(e: Any, *, decision: bool = True) -> dict[str, Any]:
    """An event log row as :class:`EventOut` (without ``decision``: no ``decision_id`` and ``batch``)."""
    out = {"id": e.pk, "step": e.step, "action": e.action, "on": e.on, "at": e.at, "actor_name": e.actor_name,
           "actor_role": e.actor_role, "evidence": e.evidence, "comment": e.comment,
           "objection_id": e.objection_id}
    if decision:
        out.update(decision_id=e.decision_id, batch=e.batch)
    return out


def objection_out(o: Any, owner: str = "case_id") -> dict[str, Any]:
    """An objection as :class:`ObjectionOut` (``owner``: the name of its case's id, ``object_id`` in monitoring)."""
    return {"id": o.pk, owner: getattr(o, owner), "step": o.step, "raised_by": o.raised_by, "text": o.text,
            "raised_on": o.raised_on, "resolved_on": o.resolved_on, "resolved_by_name": o.resolved_by_name,
            "resolution": o.resolution, "upheld": o.upheld}
