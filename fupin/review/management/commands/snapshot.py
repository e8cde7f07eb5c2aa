"""``fupin snapshot --county CODE --year Y [--as USERNAME] [--comment TEXT]`` — the year-end snapshot (年度快照).

Closes the county's open yearly review of that year if there is one (which freezes the snapshot), else
takes the snapshot alone (e.g. a baseline year before the first review). Without ``--as`` the command acts
as the system; with it, as that user (who needs ``review.manage`` in the county). The last line on stdout
is ``county=… year=… households=… persons=… poor_households=… poor_persons=…``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.core.scoping import ScopeError
from fupin.imports.management.acting import acting_user
from fupin.registry.services import RegistryError
from fupin.review import services
from fupin.review.choices import SnapshotSource


class Command(BaseCommand):
    help = "生成年度快照 / freeze a county's registry as the snapshot of a year"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--county", required=True, help="县级区划代码 / county code (6 or 12 digits)")
        parser.add_argument("--year", required=True, type=int, help="年度 / year")
        parser.add_argument("--as", dest="as_user", default="", help="以该用户身份 / act as this user")
        parser.add_argument("--comment", default="", help="说明 / comment")

    def handle(self, *args: Any, **opts: Any) -> None:
        actor = acting_user(opts["as_user"])
        try:
            snap = services.snapshot_year_end(actor=actor, county_code=opts["county"], year=opts["year"],
                                              source=SnapshotSource.CLI, comment=opts["comment"])
        except ScopeError as exc:
            raise CommandError("不存在或无权操作 / not found or not allowed") from exc
        except RegistryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"county={snap.region_code} year={snap.year} households={snap.households} "
                          f"persons={snap.persons} poor_households={snap.poor_households} "
                          f"poor_persons={snap.poor_persons}")
