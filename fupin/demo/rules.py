"""Demo runs of the policy engine (演示: 帮扶路径与识别条件): Sanming's 九个一批 and the eligibility set
(income test + 八不入) over each demo county, so household pages and the pathway pages show results.

Runs through :mod:`fupin.rules.runs` as the system (Polars over the county, results written in bulk);
skipped when the county already has a finished run of that kind (the demo is idempotent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fupin.demo import plan
from fupin.rules import runs
from fupin.rules.models import PathwayRun, RuleRun

DEMO_SCHEME = "sanming9"


def ensure_demo_runs(targets: Sequence[plan.CountyTarget] = plan.DEFAULT_TARGETS,
                     write: Callable[[str], None] | None = None) -> int:
    """Run the scheme and the eligibility set over every demo county that has none yet; the number run."""
    write = write or (lambda text: None)
    done = 0
    for target in targets:
        if not PathwayRun.objects.filter(region_code=target.code, scheme_id=DEMO_SCHEME, status="done").exists():
            run = runs.run_scheme(None, target.code, DEMO_SCHEME, source="demo")
            write(f"    {target.name}: 九个一批 {run.status}")
            done += 1
        if not RuleRun.objects.filter(region_code=target.code, status="done").exists():
            rule_run = runs.run_eligibility(None, target.code, source="demo")
            write(f"    {target.name}: 识别条件 eligibility {rule_run.status}")
            done += 1
    return done
