"""The policy core stays pure: no Django (or any fupin app) import in fupin/policy."""

import ast
from pathlib import Path

POLICY = Path(__file__).resolve().parent.parent
ALLOWED_ROOTS = {"__future__", "dataclasses", "datetime", "decimal", "typing", "collections", "re", "math",
                 "enum", "functools", "itertools", "polars", "fupin",
                 "sqlglot",  # the rule language's parser (fupin/policy/rules)
                 "tomllib", "pathlib", "importlib",  # reading the shipped policy files (fupin/policy/data)
                 "fractions", "json", "hashlib", "unicodedata", "difflib", "types", "operator",
                 "sys", "argparse",  # sys/argparse: the docs generators run as python -m
                 "concurrent",  # flows.py classifies households and persons in two threads
                 "zoneinfo"}  # clock.py: the date in China Standard Time


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.append("." * node.level + (node.module or ""))
    return names


def test_policy_modules_import_no_django():
    modules = [p for p in POLICY.rglob("*.py") if "tests" not in p.relative_to(POLICY).parts]
    assert modules
    for path in modules:
        for name in _imports(path):
            root = name.split(".")[0]
            assert not name.startswith("django"), f"{path.name} imports {name}"
            if root == "fupin":
                assert name.startswith("fupin.policy"), f"{path.name} imports {name} (only fupin.policy allowed)"
            elif not name.startswith("."):
                assert root in ALLOWED_ROOTS, f"{path.name} imports {name}: add it deliberately"
