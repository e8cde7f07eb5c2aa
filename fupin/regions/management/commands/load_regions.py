"""``fupin load_regions [FILE.csv] [--prefix CODE]`` — load an official division-code list."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from fupin.regions.loader import DEFAULT_LIST, DEFAULT_SOURCE, RegionListError, load_regions


class Command(BaseCommand):
    help = "加载区划代码表 / load a division-code list (CSV: code,name,level,parent_code)"

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", default=str(DEFAULT_LIST))
        parser.add_argument("--prefix", default="", help="only this region and below, e.g. 3504")
        parser.add_argument("--source", default=DEFAULT_SOURCE)

    def handle(self, *args, **opts):
        try:
            result = load_regions(Path(opts["file"]), prefix=opts["prefix"], source=opts["source"])
        except (RegionListError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        levels = " ".join(f"L{lv}={n}" for lv, n in result.by_level.items())
        self.stdout.write(f"regions loaded={result.loaded} {levels}")
