"""View helpers shared by the pages of a case going through a procedure (识别 :mod:`fupin.identification.views`,
退出 :mod:`fupin.exits.views`, 监测 :mod:`fupin.monitoring.views`): the timeline, the evidence labels of the
event log, the forms of the actions every procedure has (complete, reject, withdraw, object, resolve), and
how a refused action's field errors land on the form.

The templates under ``web/procedure/`` show what these build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest

from fupin.policy.procedure import ActionKind
from fupin.registry.services import RegistryError
from fupin.web.forms.common import INVALID_FORM


def en() -> bool:
    from fupin.web.templatetags.fupin_tags import current_lang

    return current_lang().startswith("en")


def timeline(procedure: Any, events: Iterable[Any], state_at: Callable[[int, Any], str]) -> list[dict[str, Any]]:
    """Each step of the procedure with its state and its completion event: ``done`` when completed, else
    ``state_at(index, step)`` (``current``, ``stopped`` or ``todo``)."""
    done = {e.step: e for e in events if e.action == ActionKind.COMPLETE}
    rows = []
    for i, step in enumerate(procedure.steps):
        state = "done" if step.id in done else state_at(i, step)
        rows.append({"step": step, "state": state, "event": done.get(step.id), "number": i + 1})
    return rows


def case_timeline(procedure: Any, events: Iterable[Any], step_id: str, is_open: bool) -> list[dict[str, Any]]:
    """:func:`timeline` of a case at ``step_id``: that step is ``current`` while the case is open, else ``stopped``."""
    current = procedure.index(step_id)

    def state_at(i: int, step: Any) -> str:
        if i != current:
            return "todo"
        return "current" if is_open else "stopped"

    return timeline(procedure, events, state_at)


def step_evidence_labels(procedure: Any) -> dict[str, str]:
    """The label of each evidence field of the procedure's steps, in the active language."""
    labels: dict[str, str] = {}
    for step in procedure.steps:
        for f in step.evidence_fields():
            labels[f.name] = f.label_en if en() else f.label_zh
    return labels


def label_evidence(events: Iterable[Any], labels: dict[str, str]) -> None:
    """``event.evidence_rows``: the evidence as (label, value) pairs (the key where there is no label)."""
    for e in events:
        e.evidence_rows = [(labels.get(k, k), v) for k, v in (e.evidence or {}).items()]


def put_errors(form: Any, err: RegistryError, renames: dict[str, str] | None = None) -> None:
    """The service's field errors on the form (``evidence.x`` → ``evidence_x``; ``comment`` on the reason
    or the objection's text; ``renames`` for other fields the form lacks)."""
    for key, msgs in err.field_errors.items():
        name = key.replace("evidence.", "evidence_", 1)
        if name == "comment" and "reason" in form.fields:
            name = "reason"
        if name == "comment" and "text" in form.fields:
            name = "text"
        if renames and name in renames and name not in form.fields:
            name = renames[name]
        if name in form.fields and name not in ("version", "objection"):
            for m in msgs:
                form.add_error(name, m)


@dataclass(frozen=True)
class ActionForms:
    """The form classes of the actions every procedure has."""

    reason: Any
    objection: Any
    resolve: Any

    def bind(self, request: HttpRequest, action: str, make_form: Callable[[str, Any], Any]) -> tuple[Any, dict[str, Any]]:
        """The posted form of ``action`` and the ``bound`` forms for the page shown again (404 when unknown):
        resolve binds the objection's form; reject and withdraw the reason; object the objection; any other
        ``make_form(action, data)`` (None: unknown)."""
        bound: dict[str, Any] = {}
        form: Any
        if action == ActionKind.RESOLVE:
            objection_id = request.POST.get("objection_id", "")
            if not objection_id.isdigit():
                raise Http404("not found")
            form = self.resolve(request.POST, prefix=f"resolve-{objection_id}")
            bound["resolve_id"] = int(objection_id)
        elif action in (ActionKind.REJECT, ActionKind.WITHDRAW):
            form = self.reason(request.POST, prefix=action)
        elif action == ActionKind.OBJECT:
            form = self.objection(request.POST, prefix="object")
        else:
            form = make_form(action, request.POST)
            if form is None:
                raise Http404("not found")
        bound[action] = form
        return form, bound

    def context(self, bound: dict[str, Any], actions: Iterable[str], *, initial: dict[str, Any],
                objections: Iterable[Any], step_form: Callable[[], Any] | None) -> dict[str, Any]:
        """``step_form``, ``reject_form``, ``withdraw_form``, ``objection_form`` and ``resolve_forms``: the
        bound form when the action was just refused, else a new one when the user may take the action."""
        actions = set(actions)

        def maybe(key: str, present: bool, factory: Callable[[], Any]) -> Any:
            return bound.get(key) or (factory() if present else None)

        return {
            "step_form": maybe(ActionKind.COMPLETE, ActionKind.COMPLETE in actions and step_form is not None,
                               step_form or (lambda: None)),
            "reject_form": maybe(ActionKind.REJECT, ActionKind.REJECT in actions,
                                 lambda: self.reason(initial=initial, prefix="reject")),
            "withdraw_form": maybe(ActionKind.WITHDRAW, ActionKind.WITHDRAW in actions,
                                   lambda: self.reason(initial=initial, prefix="withdraw")),
            "objection_form": maybe(ActionKind.OBJECT, ActionKind.OBJECT in actions,
                                    lambda: self.objection(prefix="object")),
            "resolve_forms": [(o, bound["resolve"] if bound.get("resolve_id") == o.pk else
                               self.resolve(initial={"objection": o.pk}, prefix=f"resolve-{o.pk}"))
                              for o in objections if o.is_open] if ActionKind.RESOLVE in actions else [],
        }


def submit(request: HttpRequest, form: Any, perform: Callable[[dict[str, Any]], str],
           renames: dict[str, str] | None = None) -> tuple[bool, str]:
    """Validate the posted ``form`` and ``perform`` the action with its cleaned data: ``(True, "")`` with
    the success message shown when done; ``(False, error)`` with the field errors on the form when the
    form is invalid or the services refused."""
    if not form.is_valid():
        return False, str(INVALID_FORM)
    try:
        message = perform(form.cleaned_data)
    except RegistryError as err:
        put_errors(form, err, renames)
        return False, err.message
    messages.success(request, message)
    return True, ""
