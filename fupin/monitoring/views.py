"""Pages of the monitoring app (防返贫监测): the monitoring list with reasons, an object's record and its
procedure, a household's monitoring record, a new edge household, the runs, department data, the policy.

Thin views over :mod:`.selectors` (reads, scoped) and the services (writes, which check the scope and the
procedure again). Out of scope, or without ``monitoring.view``: 404. A refused action is shown on the
page with its Chinese and English message and the form as the user filled it (status 422).
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

from fupin.core.scoping import region_in_scope
from fupin.policy import roles
from fupin.policy.procedure import ActionKind, earliest_end
from fupin.registry.services import RegistryError
from fupin.web import procedure as procedure_views
from fupin.web.forms.common import INVALID_FORM, apply_registry_error
from fupin.web.forms.households import HouseholdForm
from fupin.web.forms.members import new_member_formset
from fupin.web.forms.procedure import ObjectionForm, ReasonForm, ResolveForm, StepForm
from fupin.web.procedure import ActionForms
from fupin.web.procedure_pages import breadcrumbs, label
from fupin.web.upload import redirect_for_upload

from . import data_import, runs, selectors, services
from .choices import MonitoringStatus, MonitoringType, RunKind
from .forms import DataUploadForm, DatedForm, FlagForm, IncomeCheckForm, ObjectFilterForm, RunForm
from .models import MonitoringObject
from .policies import effective_monitoring, line_for
from .templatetags.monitoring_tags import event_action

PAGE_SIZE = 50
ALIASES = {"category_form_version": "category", "village_code": "village"}


def _require(user: Any, capability: str) -> None:
    if not user.has_capability(capability):
        raise Http404("not found")


def _user_region(user: Any) -> str:
    return str(getattr(user, "region_id", "") or "")


def _policy(user: Any) -> Any:
    return effective_monitoring(_user_region(user), services.today())


# ------------------------------------------------------------------------------------------ the list


@login_required
def object_list(request: HttpRequest) -> HttpResponse:
    """防返贫监测 — the monitoring objects in the user's scope with their reasons."""
    user = request.user
    _require(user, roles.VIEW_MONITORING)
    policy = _policy(user)
    form = ObjectFilterForm(request.GET or None, policy=policy)
    filters = selectors.ObjectFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.ObjectFilters(region=d["region"], status=d["status"] or "open", type=d["type"],
                                          cause=d["cause"], q=d["q"])
    qs = selectors.objects(user, filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    summary = selectors.summary(user, filters.region)
    statuses = list(MonitoringStatus)
    rows = [{"type": t, "counts": [summary.get(t.value, {}).get(s.value, 0) for s in statuses]}
            for t in MonitoringType]
    context = {"form": form, "page": page, "count": qs.count(), "statuses": statuses, "summary_rows": rows,
               "can_flag": user.has_capability(roles.PERFORM_MONITORING),
               "can_run": user.has_capability(roles.RUN_MONITORING)}
    return render(request, "monitoring/list.html", context)


# ------------------------------------------------------------------------------------------ one object


def _timeline(obj: MonitoringObject, events: list[Any], procedure: Any) -> list[dict[str, Any]]:
    current = procedure.index(obj.step) if obj.step and obj.in_procedure else None

    def state_at(i: int, step: Any) -> str:
        if current == i:
            return "current"
        if obj.step == step.id and obj.status == MonitoringStatus.DISMISSED:
            return "stopped"
        return "todo"

    return procedure_views.timeline(procedure, events, state_at)


def _object_context(request: HttpRequest, obj: MonitoringObject, *, bound: dict[str, Any] | None = None,
                    error: str = "") -> dict[str, Any]:
    user = request.user
    bound = bound or {}
    procedure = obj.get_procedure() or effective_monitoring(obj.county_code, services.today()).procedure
    events = selectors.events(obj)
    procedure_views.label_evidence(events, procedure_views.step_evidence_labels(procedure))
    for e in events:  # the shared event log (web/procedure/_events.html) shows action_text
        e.action_text = event_action(e.action)
    actions = selectors.actions_for(user, obj)
    step = obj.current_step if obj.in_procedure else None
    initial = {"version": obj.version}
    objections = selectors.objections(obj)

    def maybe(key: str, present: bool, factory: Any) -> Any:
        return bound.get(key) or (factory() if present else None)

    return {
        "obj": obj, "h": obj.household, "procedure": procedure, "step": step, "timeline": _timeline(obj, events, procedure),
        "events": events, "objections": objections, "flags": selectors.flags(obj),
        "checks": selectors.income_checks(obj), "decisions": selectors.decisions(obj), "actions": actions,
        "publicity_ends_on": obj.publicity_ends_on,
        "start_form": maybe(selectors.START, selectors.START in actions,
                            lambda: StepForm(step=procedure.steps[0], initial=initial, prefix="start")),
        **ACTION_FORMS.context(bound, actions, initial=initial, objections=objections,
                               step_form=None if step is None else lambda: StepForm(step=step, initial=initial)),
        "dismiss_form": maybe(selectors.DISMISS, selectors.DISMISS in actions,
                              lambda: ReasonForm(initial=initial, prefix="dismiss")),
        "check_form": maybe(selectors.INCOME_CHECK, selectors.INCOME_CHECK in actions,
                            lambda: IncomeCheckForm(prefix="check")),
        "assess_form": maybe(selectors.ASSESS, selectors.ASSESS in actions, lambda: DatedForm(prefix="assess")),
        "eliminate_form": maybe(selectors.ELIMINATE, selectors.ELIMINATE in actions,
                                lambda: DatedForm(initial=initial, prefix="eliminate")),
        "error": error, "breadcrumbs": breadcrumbs(user, obj.household.village),
    }


@login_required
def object_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一个监测对象 — type, reasons, line, the procedure and its forms, income checks, decisions, the log."""
    obj = selectors.object_detail(request.user, pk)
    return render(request, "monitoring/object.html", _object_context(request, obj))


def _put_errors(form: Any, err: RegistryError) -> None:
    procedure_views.put_errors(form, err, RENAMES)


RENAMES = {"checked_on": "on"}
ACTION_FORMS = ActionForms(reason=ReasonForm, objection=ObjectionForm, resolve=ResolveForm)
FORMS = {
    selectors.START: lambda data, obj: StepForm(data, step=(obj.get_procedure() or effective_monitoring(
        obj.county_code, services.today()).procedure).steps[0], prefix="start"),
    ActionKind.COMPLETE: lambda data, obj: StepForm(data, step=obj.current_step),
    selectors.DISMISS: lambda data, obj: ReasonForm(data, prefix="dismiss"),
    selectors.INCOME_CHECK: lambda data, obj: IncomeCheckForm(data, prefix="check"),
    selectors.ASSESS: lambda data, obj: DatedForm(data, prefix="assess"),
    selectors.ELIMINATE: lambda data, obj: DatedForm(data, prefix="eliminate"),
}


@login_required
@require_POST
def object_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """办理 — start, complete a step, reject, withdraw, dismiss, objections, income check, assess, eliminate."""
    user = request.user
    obj = selectors.object_detail(user, pk)
    if action not in selectors.actions_for(user, obj) and not (action == ActionKind.RESOLVE
                                                               and ActionKind.RESOLVE in selectors.actions_for(user, obj)):
        raise Http404("not found")
    form, bound = ACTION_FORMS.bind(request, action, lambda a, data: FORMS[a](data, obj) if a in FORMS else None)
    done, error = procedure_views.submit(request, form, lambda d: _do(action, user, obj, form, d), RENAMES)
    if done:
        return redirect("monitoring:object", pk=obj.pk)
    obj = selectors.object_detail(user, pk)
    return render(request, "monitoring/object.html", _object_context(request, obj, bound=bound, error=error),
                  status=422)


def _do(action: str, user: Any, obj: MonitoringObject, form: Any, d: dict[str, Any]) -> str:
    version = d.get("version")
    if action == selectors.START:
        services.start_identification(actor=user, object_id=obj.pk, evidence=form.evidence(), comment=d["comment"],
                                      on=d["on"], expected_version=version)
        return _("The identification procedure began.")
    if action == ActionKind.COMPLETE:
        step = obj.current_step
        services.perform_step(actor=user, object_id=obj.pk, step=obj.step, evidence=form.evidence(),
                              comment=d["comment"], on=d["on"], expected_version=version)
        return _("Step completed: %(step)s.") % {"step": label(step)}
    if action == ActionKind.REJECT:
        services.reject(actor=user, object_id=obj.pk, reason=d["reason"], on=d["on"], expected_version=version)
        return _("The household was not confirmed as a monitoring object.")
    if action == ActionKind.WITHDRAW:
        services.withdraw(actor=user, object_id=obj.pk, reason=d["reason"], on=d["on"], expected_version=version)
        return _("Withdrawn.")
    if action == selectors.DISMISS:
        services.dismiss(actor=user, object_id=obj.pk, reason=d["reason"], on=d["on"], expected_version=version)
        return _("The flag was dismissed.")
    if action == ActionKind.OBJECT:
        services.record_objection(actor=user, object_id=obj.pk, raised_by=d["raised_by"], text=d["text"], on=d["on"])
        return _("The objection was recorded.")
    if action == ActionKind.RESOLVE:
        if not obj.objections.filter(pk=d["objection"]).exists():
            raise Http404("not found")
        services.resolve_objection(actor=user, objection_id=d["objection"], resolution=d["resolution"],
                                   upheld=d["upheld"], on=d["on"])
        return _("The objection was resolved.")
    if action == selectors.INCOME_CHECK:
        services.record_income_check(actor=user, object_id=obj.pk, income_per_capita=d["income_per_capita"],
                                     checked_on=d["checked_on"], note=d["note"])
        return _("The income check was recorded.")
    if action == selectors.ASSESS:
        decision = services.assess(actor=user, object_id=obj.pk, on=d["on"])
        return (_("Assessed: the risk can be eliminated.") if decision.eliminable
                else _("Assessed: the conditions are not met (see the decision)."))
    services.eliminate(actor=user, object_id=obj.pk, comment=d["comment"], on=d["on"], expected_version=version)
    return _("The risk was eliminated.")


# ------------------------------------------------------------------------------------------ a household


@login_required
def household_page(request: HttpRequest, household_id: int) -> HttpResponse:
    """一户的监测记录 — its monitoring objects, and (for cadres) a form to flag it."""
    user = request.user
    household, objs = selectors.household_record(user, household_id)
    can_flag = (region_in_scope(user, household.village_code, roles.PERFORM_MONITORING)
                and not any(o.is_open for o in objs))
    policy = effective_monitoring(household.county_code, services.today())
    form = None
    error, status = "", 200
    if request.method == "POST":
        if not can_flag:
            raise Http404("not found")
        form = FlagForm(request.POST, policy=policy)
        if form.is_valid():
            d = form.cleaned_data
            try:
                obj = services.flag_household(actor=user, household_id=household.pk, causes=d["causes"],
                                              note=d["note"], channel=d["channel"], on=d["on"])
            except RegistryError as err:
                error, status = err.message, 422
                _put_errors(form, err)
            else:
                messages.success(request, _("The household was flagged for monitoring."))
                return redirect("monitoring:object", pk=obj.pk)
        else:
            error, status = str(INVALID_FORM), 422
    elif can_flag:
        form = FlagForm(policy=policy)
    line = None
    try:
        line = line_for(policy, household.county_code, services.today().year, services.today())
    except RegistryError:
        line = None
    context = {"h": household, "objects": objs, "form": form, "error": error, "line": line,
               "breadcrumbs": breadcrumbs(user, household.village)}
    return render(request, "monitoring/household.html", context, status=status)


@login_required
def edge_household_new(request: HttpRequest) -> HttpResponse:
    """新增监测户 — a household not on the registry: its registration form, members and the flag."""
    user = request.user
    _require(user, roles.PERFORM_MONITORING)
    _require(user, roles.EDIT_REGISTRY)
    policy = _policy(user)
    data = request.POST if request.method == "POST" else None
    form = HouseholdForm(data, user=user, initial={"village": request.GET.get("village", ""),
                                                   "identification_year": services.today().year,
                                                   "poverty_status": "0"})
    formset = new_member_formset(data)
    flag = FlagForm(data, policy=policy, prefix="flag")
    error = ""
    if request.method == "POST":
        if form.is_valid() and formset.is_valid() and flag.is_valid():
            village = form.cleaned_data["village"]
            if not region_in_scope(user, village, roles.PERFORM_MONITORING):
                raise Http404("not found")
            f = flag.cleaned_data
            try:
                obj = services.record_edge_household(
                    actor=user, village_code=village, data=form.registry_data(), members=formset.registry_data(),
                    causes=f["causes"], note=f["note"], channel=f["channel"], on=f["on"])
            except RegistryError as err:
                apply_registry_error(err, form, formset.filled_forms(), ALIASES)
                _put_errors(flag, err)
                error = err.message
            else:
                messages.success(request, _("Household %(number)s was recorded for monitoring.") % {
                    "number": obj.household.household_number})
                return redirect("monitoring:object", pk=obj.pk)
        else:
            error = str(INVALID_FORM)
    return render(request, "monitoring/new.html", {"form": form, "formset": formset, "flag": flag, "error": error},
                  status=422 if error else 200)


# ------------------------------------------------------------------------------------------ runs


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """批量运行 — the flag and elimination runs; officers start one over their region."""
    user = request.user
    _require(user, roles.VIEW_MONITORING)
    can_run = user.has_capability(roles.RUN_MONITORING)
    initial = {"region_code": _user_region(user)}
    forms_ = {RunKind.FLAG: RunForm(initial=initial, prefix="flag"),
              RunKind.ELIMINATION: RunForm(initial=initial, prefix="elimination")} if can_run else {}
    error, status = "", 200
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        if not can_run or kind not in forms_:
            raise Http404("not found")
        form = RunForm(request.POST, prefix=kind)
        forms_[kind] = form
        if form.is_valid():
            d = form.cleaned_data
            try:
                start = runs.run_flags if kind == RunKind.FLAG else runs.run_elimination
                run = start(actor=user, region_code=d["region_code"], on=d["on"])
            except RegistryError as err:
                error, status = err.message, 422
                _put_errors(form, err)
                if "region_code" in err.field_errors:
                    for m in err.field_errors["region_code"]:
                        form.add_error("region_code", m)
            else:
                if run.status == "done":
                    messages.success(request, _("Run #%(n)s is done.") % {"n": run.pk})
                else:
                    messages.error(request, _("Run #%(n)s failed: %(error)s") % {"n": run.pk, "error": run.error})
                return redirect("monitoring:run", pk=run.pk)
        else:
            error, status = str(INVALID_FORM), 422
    page = Paginator(selectors.runs(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/runs.html", {"page": page, "flag_form": forms_.get(RunKind.FLAG),
                                                    "elimination_form": forms_.get(RunKind.ELIMINATION),
                                                    "error": error}, status=status)


@login_required
def run_page(request: HttpRequest, pk: int) -> HttpResponse:
    """一次运行 — its counts and the objects it flagged (with reasons) or the decisions it made."""
    user = request.user
    run = selectors.run_detail(user, pk)
    qs = selectors.run_objects(user, run) if run.kind == RunKind.FLAG else selectors.run_decisions(user, run)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/run.html", {"run": run, "page": page, "count_rows": _count_rows(run.counts)})


def _count_labels() -> dict[str, str]:
    """A run's counts (keys as ``runs`` stores them) named in the active language."""
    return {
        "households": _("Households looked at"), "candidates_flagged": _("Households meeting a flag rule"),
        "new": _("Newly flagged"), "skipped": _("Not flagged again (monitored now or closed lately)"),
        "records_read": _("Department records read"), "records_unmatched": _("Department records matching nobody"),
        "by_type": _("Newly flagged by type"), "by_rule": _("Newly flagged by rule"),
        "monitored": _("Objects under monitoring"), "assessed": _("Assessed"), "not_assessed": _("Not assessed"),
        "eliminable": _("Risk can be eliminated"), "stays_monitored": _("Stays monitored"),
    }


def _count_rows(counts: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(key, label, value as text) for the run page; monitoring types by their label."""
    from .templatetags.monitoring_tags import monitoring_type

    labels = _count_labels()
    rows = []
    for key, value in (counts or {}).items():
        if isinstance(value, dict):
            name = monitoring_type if key == "by_type" else str
            value = "; ".join(f"{name(k)}: {n}" for k, n in value.items()) or "—"
        rows.append((key, labels.get(key, key), str(value)))
    return rows


# ------------------------------------------------------------------------------------------ department data


@login_required
@redirect_for_upload
def data_list_page(request: HttpRequest) -> HttpResponse:
    """部门数据 — medical spending, disaster losses and deaths imported for the flags."""
    user = request.user
    _require(user, roles.VIEW_MONITORING)
    can_import = user.has_capability(roles.RUN_MONITORING)
    form = None
    error, status = "", 200
    if request.method == "POST":
        if not can_import:
            raise Http404("not found")
        form = DataUploadForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            upload = d["file"]
            try:
                data_list = data_import.import_data(actor=user, kind=d["kind"], region_code=d["region_code"],
                                                    as_of=d["as_of"], file_name=upload.name, content=upload,
                                                    source_department=d["source_department"])
            except RegistryError as err:
                error, status = err.message, 422
                _put_errors(form, err)
            else:
                if data_list.status == "loaded":
                    messages.success(request, _("Data list #%(n)s loaded: %(a)s rows accepted, %(r)s rejected.") % {
                        "n": data_list.pk, "a": data_list.rows_accepted, "r": data_list.rows_rejected})
                else:
                    messages.error(request, _("Data list #%(n)s failed: %(error)s") % {
                        "n": data_list.pk, "error": data_list.error})
                return redirect("monitoring:data_list", pk=data_list.pk)
        else:
            error, status = str(INVALID_FORM), 422
    elif can_import:
        form = DataUploadForm(initial={"region_code": _user_region(user)})
    page = Paginator(selectors.data_lists(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/data.html", {"page": page, "form": form, "error": error,
                                                    "kinds": list(data_import.KINDS.values())}, status=status)


@login_required
def data_list_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    data_list = selectors.data_list_detail(user, pk)
    rejected = Paginator(selectors.rejections(user, data_list), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "monitoring/data_list.html", {
        "data_list": data_list, "rejected": rejected, "may_see_rows": selectors.may_see_rows(user, data_list),
        "kind": data_import.KINDS.get(data_list.kind)})


# ------------------------------------------------------------------------------------------ the policy


@login_required
def policy_page(request: HttpRequest) -> HttpResponse:
    """监测政策 — the monitoring lines by region and year, the flag rules, the elimination conditions and
    the procedure that apply in the user's region today."""
    user = request.user
    _require(user, roles.VIEW_MONITORING)
    policy = _policy(user)
    region = _user_region(user)
    current = None
    if region and region[:6] != "000000":
        county = region[:6].ljust(12, "0") if region[2:6] != "0000" else region
        try:
            current = line_for(policy, county, services.today().year, services.today())
        except RegistryError:
            current = None
    publicity = [(s, earliest_end(s, services.today())) for s in policy.procedure.steps if s.is_publicity]
    return render(request, "monitoring/policy.html", {"policy": policy, "lines": policy.lines.sorted_lines(),
                                                      "current": current, "publicity": publicity})
