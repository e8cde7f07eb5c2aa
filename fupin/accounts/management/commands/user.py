"""``fupin user add USERNAME --role ROLE --region CODE [--password P]`` and ``fupin user list``.

``add`` creates a working user (用户) through :func:`fupin.accounts.services.create_user`: the role
(角色) and the region (所属区划, 2/4/6/9/12-digit code) are checked, the password goes through the
password rules; without ``--password`` a strong one is generated and printed once. ``list`` shows
users, optionally only those inside a region.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from fupin.accounts.models import User
from fupin.accounts.services import UserError, create_user, find_region
from fupin.policy import roles
from fupin.policy.regions import prefix_of


class Command(BaseCommand):
    help = "用户管理 / manage users: add, list"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, title="actions")
        add = sub.add_parser("add", help="新建用户 / create a user")
        add.add_argument("username")
        add.add_argument("--role", required=True, choices=list(roles.ROLES),
                         help="角色 role: " + ", ".join(f"{r.id}={r.zh}" for r in roles.ROLES.values()))
        add.add_argument("--region", required=True, help="所属区划代码 region code (2/4/6/9/12 digits)")
        add.add_argument("--password", default=None,
                         help="密码; 不给则生成 / password; generated and printed when omitted")
        lst = sub.add_parser("list", help="列出用户 / list users")
        lst.add_argument("--region", default="", help="只列出该区划内的用户 / only users inside this region")
        lst.add_argument("--role", default="", choices=["", *roles.ROLES])

    def handle(self, *args, **opts):
        if opts["action"] == "add":
            self._add(opts)
        else:
            self._list(opts)

    def _add(self, opts) -> None:
        try:
            user, password = create_user(username=opts["username"], role=opts["role"],
                                         region_code=opts["region"], password=opts["password"], source="cli")
        except UserError as exc:
            raise CommandError(str(exc)) from exc
        region = user.region
        self.stdout.write(self.style.SUCCESS("已创建用户 / user created"))
        self.stdout.write(f"  用户名 username: {user.username}")
        self.stdout.write(f"  角色 role:       {user.role} {user.role_label}")
        self.stdout.write(f"  区划 region:     {region.code} {region.name}")
        if opts["password"] is None:
            self.stdout.write(f"  密码 password:   {password}")
            self.stdout.write("  (请妥善保存,只显示这一次 / keep it safe, it is shown only this once)")

    def _list(self, opts) -> None:
        users = User.objects.select_related("region").order_by("username")
        if opts["region"]:
            try:
                region = find_region(opts["region"])
            except UserError as exc:
                raise CommandError(str(exc)) from exc
            users = users.filter(region__code__startswith=prefix_of(region.code, region.level))
        if opts["role"]:
            users = users.filter(role=opts["role"])
        rows = [(u.username, f"{u.role} {u.role_label}", f"{u.region_id or '—'} {u.region.name if u.region else ''}",
                 "是 yes" if u.is_active else "否 no") for u in users]
        header = ("用户名 username", "角色 role", "区划 region", "启用 active")
        widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        for row in rows:
            self.stdout.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
        self.stdout.write(f"共 {len(rows)} 个用户 / {len(rows)} users")
