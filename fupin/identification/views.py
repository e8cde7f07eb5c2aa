"""Pages of the identification procedure (识别程序): the case list, a case, a village's batch, a new application.

Thin views over :mod:`.selectors` (reads, scoped) and :mod:`.services` (writes, which check the scope
and the procedure again). Out of scope: 404. A refused action (wrong step, role, missing evidence,
publicity not over, open objection …) is shown on the page with its Chinese and English message and
the form as the user filled it (status 422); nothing is written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fupin.core.scoping import get_visible_or_404, region_in_scope
from fupin.policy import roles
from fupin.policy.procedure import PROCEDURES, ActionKind
from fupin.regions.models import Region
from fupin.registry.services import RegistryError
from fupin.web import procedure as procedure_views
from fupin.web.forms.common import INVALID_FORM, apply_registry_error
from fupin.web.forms.households import HouseholdForm
from fupin.web.forms.members import new_member_formset
from fupin.web.procedure import ActionForms
from fupin.web.procedure_pages import CasePages, batch_rows, breadcrumbs, label, village_batches

from . import selectors, services
from .choices import IdentificationStatus
from .forms import ApplicationExtraForm, CaseFilterForm, ObjectionForm, ReasonForm, ResolveForm, StepForm
from .models import IdentificationCase
from .templatetags.identification_tags import action_label

PAGE_SIZE = 50
ALIASES = {"category_form_version": "category", "village_code": "village"}


def _may_perform(user: Any) -> bool:
    return user.has_capability(roles.PERFORM_IDENTIFICATION)


# ------------------------------------------------------------------------------------------ the list


@login_required
def case_list(request: HttpRequest) -> HttpResponse:
    """识别程序 — the cases in the user's scope, filtered by step; the villages' lists by step."""
    user = request.user
    form = CaseFilterForm(request.GET or None)
    filters = selectors.CaseFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.CaseFilters(region=d["region"], step=d["step"], q=d["q"],
                                        status=d["status"] or IdentificationStatus.IN_PROGRESS)
    qs = selectors.cases(user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    steps = {s.id: s for p in reversed(list(PROCEDURES.values())) for s in p.steps}
    batches = village_batches(selectors.cases(user, selectors.CaseFilters(region=filters.region)), steps)
    context = {"form": form, "page": page, "batches": batches, "can_apply": _may_perform(user),
               "count": qs.count()}
    return render(request, "identification/list.html", context)


# ------------------------------------------------------------------------------------------ one case


def _step_form(case: IdentificationCase, data: Any = None) -> StepForm:
    return StepForm(data, step=case.current_step, initial={"version": case.version})


def _ended(action: str, case: IdentificationCase) -> str:
    return _("The application was rejected.") if action == ActionKind.REJECT else _("The application was withdrawn.")


PAGES = CasePages(
    selectors=selectors, services=services, forms=ActionForms(reason=ReasonForm, objection=ObjectionForm,
                                                              resolve=ResolveForm),
    template="identification/case.html", case_url="identification:case", step_form=_step_form,
    evidence_labels=lambda case: procedure_views.step_evidence_labels(case.get_procedure()),
    action_label=lambda event: action_label(event.action), ended=_ended,
)


@login_required
def case_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一户的识别程序 — timeline, current step and its form, objections, the automatic decision."""
    return PAGES.show(request, pk)


@login_required
@require_POST
def case_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """办理 — complete the current step, reject, withdraw, record or resolve an objection."""
    return PAGES.act(request, pk, action)


# ------------------------------------------------------------------------------------------ a village's list


@login_required
def village_batch(request: HttpRequest, village_code: str, step: str) -> HttpResponse:
    """整村办理 — every open case of a village at one step, moved through it with one button."""
    user = request.user
    village = get_visible_or_404(user, Region.objects.filter(level=5), code=village_code)
    cases = list(selectors.village_batch(user, village.code, step))
    procedure_step = cases[0].get_procedure().step(step) if cases else None
    can_act = bool(cases) and region_in_scope(user, village.code, roles.PERFORM_IDENTIFICATION) and (
        str(user.role) in procedure_step.roles)
    form = None
    error, status = "", 200
    if request.method == "POST":
        if not region_in_scope(user, village.code, roles.PERFORM_IDENTIFICATION):
            raise Http404("not found")
        if procedure_step is None:
            error, status = _("No case of this village is at this step."), 422
        else:
            form = StepForm(request.POST, step=procedure_step)
            if form.is_valid():
                try:
                    moved = services.advance_village(actor=user, village_code=village.code, step=step,
                                                     evidence=form.evidence(), comment=form.cleaned_data["comment"],
                                                     on=form.cleaned_data["on"])
                except RegistryError as err:
                    error, status = err.message, 422
                    procedure_views.put_errors(form, err)
                    context = _batch_context(request, village, step, cases, procedure_step, form, error, can_act)
                    context["blocking"] = err.field_errors.get("households", [])
                    return render(request, "identification/village.html", context, status=status)
                messages.success(request, _("%(n)s households completed %(step)s.") % {
                    "n": len(moved), "step": label(procedure_step)})
                return redirect(f"{_list_url()}?region={village.code}")
            error, status = str(INVALID_FORM), 422
    elif procedure_step is not None and can_act:
        form = StepForm(step=procedure_step)
    context = _batch_context(request, village, step, cases, procedure_step, form, error, can_act)
    return render(request, "identification/village.html", context, status=status)


def _list_url() -> str:
    from django.urls import reverse

    return reverse("identification:list")


def _batch_context(request: HttpRequest, village: Region, step: str, cases: list[Any], procedure_step: Any,
                   form: Any, error: str, can_act: bool) -> dict[str, Any]:
    return {"village": village, "step_id": step, "step": procedure_step, "rows": batch_rows(cases), "form": form,
            "error": error, "can_act": can_act, "blocking": [], "breadcrumbs": breadcrumbs(request.user, village)}


# ------------------------------------------------------------------------------------------ new application


@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    """农户申请 — the registration form of the household and its members, plus the application."""
    user = request.user
    if not _may_perform(user):
        raise Http404("not found")
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, user=user, initial={"village": request.GET.get("village", ""),
                                                   "identification_year": services.today().year})
    formset = new_member_formset(data)
    extra = ApplicationExtraForm(data, prefix="application")
    error = ""
    if request.method == "POST":
        if form.is_valid() and formset.is_valid() and extra.is_valid():
            village = form.cleaned_data["village"]
            if not region_in_scope(user, village, roles.PERFORM_IDENTIFICATION):
                raise Http404("not found")
            e = extra.cleaned_data
            try:
                case = services.start_case(
                    actor=user, village_code=village, data=form.registry_data(), members=formset.registry_data(),
                    evidence={"applicant": e["applicant"], "applied_on": e["on"].isoformat()},
                    comment=e["comment"], on=e["on"], procedure_id=e["procedure"] or None,
                )
            except RegistryError as err:
                apply_registry_error(err, form, formset.filled_forms(), ALIASES)
                error = err.message
            else:
                messages.success(request, _("Application of household %(number)s recorded.") % {
                    "number": case.household.household_number})
                return redirect("identification:case", pk=case.pk)
        else:
            error = str(INVALID_FORM)
    return render(request, "identification/application.html",
                  {"form": form, "formset": formset, "extra": extra, "error": error},
                  status=422 if error else 200)
