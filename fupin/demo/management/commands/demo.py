"""``fupin demo [--no-serve] [--households N] [--seed S] [--addrport 127.0.0.1:8000]`` — a working demo.

1. ``migrate``; 2. load the shipped division list (by default the whole of 福建省, 18,760 regions
   with real townships and villages; ``--regions-prefix 3504`` loads only 三明市 and its ancestors);
3. unless the demo counties already have households (idempotent), generate the demo registry of
   明溪县 and 宁化县 from seed 003 (三明, end of 2014; :mod:`fupin.demo.generator`) in one transaction;
4. create the demo users, one per role (:mod:`fupin.demo.users`) and print their logins; run the
   demo pathways and eligibility, and leave one import batch at review (:mod:`fupin.demo.imports`);
5. unless ``--no-serve``, run Django's development server with static files served
   (``runserver --insecure`` without the reloader): a demo, not a production set-up.
"""

from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from fupin.accounts.services import UserError
from fupin.demo import plan
from fupin.demo.assistance import ensure_demo_assistance
from fupin.demo.imports import ensure_demo_import
from fupin.demo.pairing import ensure_demo_pairing
from fupin.demo.rules import ensure_demo_runs
from fupin.demo.users import ensure_demo_users
from fupin.demo.writer import demo_present, generate_demo
from fupin.policy import roles
from fupin.regions.loader import RegionListError, load_regions

#: The demo loads 三明市 (2,124 regions, ~0.5 s) by default; the whole province takes ~3 s.


class Command(BaseCommand):
    help = "演示系统 / set up and serve a demo: migrate, regions, demo registry (明溪县, 宁化县), demo users"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只准备数据,不启动服务 / prepare only")
        parser.add_argument("--households", type=int, default=None,
                            help=f"约多少户 (默认按三明市2014年数字,约{plan.DEFAULT_HOUSEHOLDS}户) / about how many "
                                 "households (default: the seed's real figures)")
        parser.add_argument("--seed", type=int, default=2014, help="随机种子 / random seed")
        parser.add_argument("--addrport", default="127.0.0.1:8000", help="服务地址 / address:port to serve on")
        parser.add_argument("--regions-prefix", default="",
                            help="加载哪部分区划代码表 (默认全省;3504 为三明市) / which part of the division list "
                                 "to load (default: all of Fujian; 3504 = 三明市 and its ancestors)")

    def handle(self, *args, **opts):
        started = time.monotonic()
        out = self.stdout
        try:
            targets = plan.scaled_targets(opts["households"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        out.write("1/4 迁移数据库 / migrating the database …")
        call_command("migrate", interactive=False, verbosity=0)
        out.write(f"    {time.monotonic() - started:.1f} s")
        out.write("2/4 加载区划代码表 / loading the division list …")
        try:
            loaded = load_regions(prefix=opts["regions_prefix"])
        except (RegionListError, FileNotFoundError) as exc:
            raise CommandError(str(exc)) from exc
        out.write(f"    {loaded.loaded} 个区划 / regions, {time.monotonic() - started:.1f} s")
        with transaction.atomic():
            existing = demo_present()
            if existing:
                out.write(f"3/4 演示数据已存在({existing}户),不再生成 / demo data present ({existing} households), "
                          "nothing generated")
            else:
                out.write("3/4 生成演示登记数据 / generating the demo registry …")
                try:
                    results = generate_demo(seed=opts["seed"], targets=targets)
                except (LookupError, ValueError) as exc:
                    raise CommandError(str(exc)) from exc
                for r in results:
                    out.write(f"    {r.name} {r.code}: {r.households} 户 households, {r.persons} 人 persons, "
                              f"其中2014年已脱贫 {r.exited_persons} 人 exited in 2014, {r.poor_villages} 个贫困村 poor villages")
            out.write(f"    {time.monotonic() - started:.1f} s")
            out.write("4/4 演示账号 / demo users …")
            try:
                logins = ensure_demo_users()
                logins += ensure_demo_pairing(seed=opts["seed"], write=out.write)
                ensure_demo_assistance(seed=opts["seed"], write=out.write)
            except (UserError, LookupError) as exc:
                raise CommandError(str(exc)) from exc
        out.write("    帮扶路径与识别条件 / pathways and eligibility …")
        ensure_demo_runs(targets, write=out.write)
        out.write("    导入批次 / an import batch to review …")
        ensure_demo_import(write=out.write)
        self._print_logins(logins)
        out.write(self.style.SUCCESS(f"完成,用时 {time.monotonic() - started:.1f} 秒 / done in "
                                     f"{time.monotonic() - started:.1f} s"))
        if opts["no_serve"]:
            return
        out.write(f"启动演示服务 / serving on http://{opts['addrport']}/  (Ctrl-C 停止 / to stop)")
        call_command("runserver", opts["addrport"], use_reloader=False, insecure_serving=True)

    def _print_logins(self, logins) -> None:
        header = ("用户名 username", "角色 role", "区划 region", "密码 password")
        rows = [(x.username, f"{x.role} {roles.ROLES[x.role].zh}", f"{x.region_name} {x.region_code}", x.password)
                for x in logins]
        widths = [max(_width(h), *(_width(r[i]) for r in rows)) for i, h in enumerate(header)]
        self.stdout.write("演示账号 / demo logins:")
        for row in (header, *rows):
            self.stdout.write("  " + "  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths, strict=True)))


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
