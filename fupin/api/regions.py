"""Regions (行政区划) in the API: the tree under the user's region, and one region with its figures.

A region outside the user's region is 404, as is every registry object out of scope.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from fupin.core.scoping import ScopeError, get_visible_or_404, visible_to
from fupin.policy.regions import RegionCodeError, level_of, normalize_code, prefix_of
from fupin.regions.models import Region
from fupin.registry import selectors
from fupin.registry.services import INVALID, RegistryError

from . import present
from .schemas import DetailOut, ErrorOut, RegionDetailOut, RegionNode

router = Router(tags=["regions 行政区划"])
MAX_DEPTH = 4


class TreeQuery(Schema):
    root: str = Field("", description="区划代码, 默认为用户所属区划 / default: the user's region")
    depth: int = Field(2, ge=0, le=MAX_DEPTH, description="levels below the root / 向下层级数")


@router.get("/tree", response={200: RegionNode, 404: DetailOut, 422: ErrorOut})
def region_tree(request: HttpRequest, query: Query[TreeQuery]):
    """区划树: the root and its descendants down to ``depth`` levels, nested (one query)."""
    user = request.auth
    if query.root:
        try:
            root_code = normalize_code(query.root)
        except RegionCodeError as exc:
            raise RegistryError(INVALID, {"root": [str(exc)]}) from exc
    else:
        root_code = user.region_id or ""
    if not root_code:
        raise ScopeError("no region")
    level = level_of(root_code)
    nodes = list(visible_to(user, Region.objects.filter(code__startswith=prefix_of(root_code, level)))
                 .filter(level__lte=level + query.depth)
                 .only("code", "name", "level", "parent", "is_poor_village"))
    root = next((r for r in nodes if r.code == root_code), None)
    if root is None:
        raise ScopeError("不存在或无权查看 / not found")
    return present.region_tree(root, [r for r in nodes if r.code != root_code])


@router.get("/{code}", response={200: RegionDetailOut, 404: DetailOut})
def region_detail(request: HttpRequest, code: str):
    """一个区划: its flags, ancestors, figures (户数、人数、贫困发生率) and its children's figures."""
    try:
        code12 = normalize_code(code)
    except RegionCodeError as exc:
        raise ScopeError(str(exc)) from exc
    region = get_visible_or_404(request.auth, Region.objects.all(), code=code12)
    own, children = selectors.region_figures(request.auth, region)
    return {
        **present.region(region),
        "ancestors": [present.region_ref(r) for r in region.ancestors()],
        "figures": present.figures(own),
        "children": [present.figures(c) for c in children],
    }
