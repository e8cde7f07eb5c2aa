"""Demo logins (演示账号): one user per role, bound to a sensible region, with a known password.

Every demo user's password is :data:`DEMO_PASSWORD` (``Fupin-demo-2026!``), so the README can show
it. It passes the password rules; it is a demo password — never use the demo on a real registry.
Users are made through :func:`fupin.accounts.services.create_user` (validated, audited); a user that
already exists is left as it is.

=========== ======================================================== =============
username    region                                                   role
=========== ======================================================== =============
demo_village   a 明溪县 贫困村 with the most demo households            村干部
demo_workteam  the same village                                       驻村工作队员
demo_township  that village's township                                乡镇干部
demo_county    明溪县 350421000000                                     县扶贫办
demo_city      三明市 350400000000                                     市级查看
demo_province  福建省 350000000000                                     省级查看
demo_evaluator 宁化县 350424000000                                     第三方评估
demo_auditor   三明市 350400000000                                     审计
demo_admin     福建省 350000000000                                     系统管理员
=========== ======================================================== =============
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from fupin.accounts.models import User
from fupin.accounts.services import create_user
from fupin.policy.regions import LEVEL_VILLAGE, prefix_of
from fupin.regions.models import Region
from fupin.registry.models import Household

from . import plan

DEMO_PASSWORD = "Fupin-demo-2026!"
CITY = "350400000000"  # 三明市
PROVINCE = "350000000000"  # 福建省


@dataclass(frozen=True)
class DemoLogin:
    username: str
    role: str
    region_code: str
    region_name: str
    password: str
    created: bool


def demo_village() -> str:
    """The 明溪县 poor village with the most households (else any 明溪 village with households)."""
    county = plan.MINGXI.code
    base = Household.objects.filter(county_code=county).values("village_code").annotate(n=Count("id"))
    row = (base.filter(village__is_poor_village=True).order_by("-n", "village_code").first()
           or base.order_by("-n", "village_code").first())
    if row:
        return row["village_code"]
    first = (Region.objects.filter(level=LEVEL_VILLAGE, code__startswith=prefix_of(county))
             .order_by("code").values_list("code", flat=True).first())
    if first is None:
        raise LookupError("明溪县没有村级区划 / no villages of 明溪县 are loaded")
    return first


def demo_regions() -> dict[str, str]:
    """Role → region code of its demo user."""
    village = demo_village()
    return {
        "village": village, "workteam": village, "township": village[:9] + "000", "county": plan.MINGXI.code,
        "city": CITY, "province": PROVINCE, "evaluator": plan.NINGHUA.code, "auditor": CITY, "admin": PROVINCE,
    }


def ensure_demo_users() -> list[DemoLogin]:
    """Create the missing demo users; return every demo login (existing ones unchanged)."""
    logins = []
    for role, code in demo_regions().items():
        username = f"demo_{role}"
        user = User.objects.select_related("region").filter(username=username).first()
        created = user is None
        if user is None:
            user, _ = create_user(username=username, role=role, region_code=code, password=DEMO_PASSWORD,
                                  source="demo")
        region = user.region
        logins.append(DemoLogin(username, user.role, region.code if region else "",
                                region.name if region else "", DEMO_PASSWORD, created))
    return logins
