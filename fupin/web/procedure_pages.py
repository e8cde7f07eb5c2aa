"""The pages the case procedures share (识别 :mod:`fupin.identification.views`, 退出 :mod:`fupin.exits.views`):
one case (its timeline, event log, objections, decisions and the forms of the actions the user may take),
an action on it, and the pieces of the case list and of a village's batch page.

An app describes its case pages once, as :class:`CasePages` (its selectors and services, its forms, its
template and URL name, what its page adds), and its views call :meth:`CasePages.show` and
:meth:`CasePages.act`. The services check the scope and the procedure again; out of scope is 404; a
refused action shows the page again with the message and the form as filled (422).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from fupin.core.scoping import region_in_scope
from fupin.policy import roles
from fupin.policy.procedure import ActionKind, earliest_end
from fupin.regions.models import Region
from fupin.web import procedure as procedure_views
from fupin.web.procedure import ActionForms


def label(obj: Any) -> str:
    """A step's (or anything's) label in the active language."""
    return str(getattr(obj, "label_en" if procedure_views.en() else "label_zh", obj))


def breadcrumbs(user: Any, region: Region) -> list[tuple[Region, bool]]:
    """The region and its ancestors, each with whether the user may open its page."""
    return [(r, region_in_scope(user, r.code, roles.VIEW_REGISTRY)) for r in [*region.ancestors(), region]]


def village_batches(open_cases: QuerySet, steps: dict[str, Any]) -> list[dict[str, Any]]:
    """整村办理 links of the case list: each village's open cases by step (``steps``: step id → step)."""
    by_village = list(open_cases.order_by().values("village_code", "step").annotate(n=Count("id"))
                      .order_by("village_code", "step"))
    names = dict(Region.objects.filter(code__in={r["village_code"] for r in by_village}).values_list("code", "name"))
    return [{"village_code": r["village_code"], "village_name": names.get(r["village_code"], ""),
             "step": steps.get(r["step"]), "step_id": r["step"], "count": r["n"]} for r in by_village]


def batch_rows(cases: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows of a village's batch page: each case with the day its publicity may end."""
    return [{"case": c, "ends_on": earliest_end(c.current_step, c.step_started_on)} for c in cases]


@dataclass(frozen=True)
class CasePages:
    """一种程序的案件页面 — what the shared case page and its actions need to know of one procedure.

    ``step_form(case, data)``: the form completing the case's current step; ``evidence_labels(case)``:
    evidence field name → label in the active language and ``action_label(event)`` (for the event log,
    ``web/procedure/_events.html``); ``extra(case)``: what the
    app's page adds to the context; ``ended(action, case)``: the message after 驳回 (``reject``) or 撤回
    (``withdraw``)."""

    selectors: Any
    services: Any
    forms: ActionForms
    template: str  #: e.g. identification/case.html
    case_url: str  #: e.g. identification:case
    step_form: Callable[[Any, Any], Any]
    evidence_labels: Callable[[Any], dict[str, str]]
    action_label: Callable[[Any], str]
    ended: Callable[[str, Any], str]
    extra: Callable[[Any], dict[str, Any]] = lambda case: {}

    def context(self, request: HttpRequest, case: Any, *, bound: dict[str, Any] | None = None,
                error: str = "") -> dict[str, Any]:
        """The case page's context: timeline, event log (evidence labelled), objections, decisions, and the
        forms of the actions the user may take (``bound``: the forms just refused, shown as filled)."""
        user = request.user
        procedure = case.get_procedure()
        events = self.selectors.events(case)
        procedure_views.label_evidence(events, self.evidence_labels(case))
        for e in events:
            e.action_text = self.action_label(e)
        actions = self.selectors.actions_for(user, case)
        step = case.current_step
        initial = {"version": case.version}
        objections = self.selectors.objections(case)
        return {
            "case": case, "h": case.household, "procedure": procedure, "step": step, "events": events,
            "timeline": procedure_views.case_timeline(procedure, events, case.step, case.is_open),
            "objections": objections, "decisions": self.selectors.decisions(case), "actions": actions,
            "publicity_ends_on": earliest_end(step, case.step_started_on) if case.is_open else None,
            **self.extra(case),
            **self.forms.context(bound or {}, actions, initial=initial, objections=objections,
                                 step_form=lambda: self.step_form(case, None)),
            "error": error, "breadcrumbs": breadcrumbs(user, case.household.village),
        }

    def show(self, request: HttpRequest, pk: int) -> HttpResponse:
        """一个案件 — the case page (404 out of scope)."""
        case = self.selectors.case_detail(request.user, pk)
        return render(request, self.template, self.context(request, case))

    def act(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        """办理 — complete the current step, reject, withdraw, record or resolve an objection; back to the
        case page when done, else the page again with the refusal (422)."""
        user = request.user
        case = self.selectors.case_detail(user, pk)
        if not self.selectors.may_act(user, case):
            raise Http404("not found")
        form, bound = self.forms.bind(request, action, lambda a, data: self.step_form(case, data)
                                      if a == ActionKind.COMPLETE else None)

        def perform(d: dict[str, Any]) -> str:
            services = self.services
            if action == ActionKind.COMPLETE:
                services.perform_step(actor=user, case_id=case.pk, step=case.step, evidence=form.evidence(),
                                      comment=d["comment"], on=d["on"], expected_version=d.get("version"))
                return _("Step completed: %(step)s.") % {"step": label(case.current_step)}
            if action in (ActionKind.REJECT, ActionKind.WITHDRAW):
                end = services.reject if action == ActionKind.REJECT else services.withdraw
                end(actor=user, case_id=case.pk, reason=d["reason"], on=d["on"], expected_version=d.get("version"))
                return self.ended(action, case)
            if action == ActionKind.OBJECT:
                services.record_objection(actor=user, case_id=case.pk, raised_by=d["raised_by"], text=d["text"],
                                          on=d["on"])
                return _("The objection was recorded.")
            if not case.objections.filter(pk=d["objection"]).exists():
                raise Http404("not found")
            services.resolve_objection(actor=user, objection_id=d["objection"], resolution=d["resolution"],
                                       upheld=d["upheld"], on=d["on"])
            return _("The objection was resolved.")

        done, error = procedure_views.submit(request, form, perform)
        if done:
            return redirect(self.case_url, pk=case.pk)
        case = self.selectors.case_detail(user, pk)  # as it is now
        return render(request, self.template, self.context(request, case, bound=bound, error=error), status=422)


__all__ = ["CasePages", "batch_rows", "breadcrumbs", "label", "village_batches"]
