"""``fupin expire_imports [--days N] [--dry-run]`` — refuse the roster batches left undecided
(超期未处理的导入批次).

A batch at review, failed, or whose check stopped, with nothing done to it for ``N`` days
(``FUPIN_IMPORT_UNDECIDED_DAYS``, default 30), is refused by the system with a comment saying why
(:func:`fupin.imports.services.expire_undecided`); its working files are deleted as for any
refusal. A check at work is never touched. Run it daily (cron or a systemd timer). Prints one line
per batch and ``expired=N``.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fupin.imports import services


class Command(BaseCommand):
    help = "拒绝超期未处理的导入批次 / refuse roster batches left undecided for N days"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None,
                            help=f"天数 / days undecided (default FUPIN_IMPORT_UNDECIDED_DAYS, {services.undecided_days()})")
        parser.add_argument("--dry-run", action="store_true", help="只列出,不拒绝 / list them, refuse nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        days = opts["days"] if opts["days"] is not None else services.undecided_days()
        if days < 1:
            raise CommandError("--days 至少为 1 / must be at least 1")
        batches = services.expire_undecided(days=days, dry_run=opts["dry_run"])
        verb = "将拒绝 / would refuse" if opts["dry_run"] else "已拒绝 / refused"
        for b, was in batches:
            self.stdout.write(f"{verb} #{b.pk} {b.file_name} {b.region_code} ({was}, "
                              f"last activity {services.last_activity(b):%Y-%m-%d})")
        self.stdout.write(f"expired={len(batches)}" + (" (dry run)" if opts["dry_run"] else ""))
