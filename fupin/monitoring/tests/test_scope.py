"""Every model of the monitoring app has a scope rule, and the scope follows the household's region."""

from __future__ import annotations

import pytest
from django.apps import apps

from fupin.core.scoping import SCOPE_RULES, visible_to
from fupin.monitoring import services
from fupin.monitoring.models import MonitoringEvent, MonitoringFlag, MonitoringObject
from fupin.policy import roles

from .conftest import ON

pytestmark = pytest.mark.django_db


def test_every_monitoring_model_has_a_scope_rule():
    for model in apps.get_app_config("monitoring").get_models():
        assert model._meta.label_lower in SCOPE_RULES, model._meta.label_lower


def test_objects_and_their_records_follow_the_household(people, household, ninghua_village, make_user):
    mine = services.flag_household(actor=people["village"], household_id=household().pk,
                                   causes=["income_below_line"], on=ON)
    other_village = household(village_code=ninghua_village)
    theirs = services.flag_household(actor=make_user("village", ninghua_village), household_id=other_village.pk,
                                     causes=["income_below_line"], on=ON)
    for user, seen in ((people["county"], {mine.pk}), (people["city"], {mine.pk, theirs.pk}),
                       (people["ninghua_county"], {theirs.pk}), (people["village"], {mine.pk})):
        for model in (MonitoringObject, MonitoringFlag, MonitoringEvent):
            qs = visible_to(user, model.objects.all(), roles.VIEW_MONITORING)
            got = set(qs.values_list("pk" if model is MonitoringObject else "object_id", flat=True))
            assert got == seen, (user.role, model.__name__)
