"""docs/rules.md follows the catalogue and the policy files; the rules and data packages stay pure."""

from __future__ import annotations

import ast
from pathlib import Path

from fupin.policy.policy_sets import load_default_policy
from fupin.policy.rules import HOUSEHOLD_COLUMNS, PERSON_COLUMNS
from fupin.policy.rules.docs import DOCS_PATH, rules_markdown

POLICY = Path(__file__).resolve().parent.parent
PACKAGES = [POLICY / "rules", POLICY / "data"]
ALLOWED_ROOTS = {"__future__", "collections", "dataclasses", "difflib", "datetime", "decimal", "functools", "math", "operator",
                 "pathlib", "polars", "re", "sqlglot", "sys", "tomllib", "typing", "fupin"}


def test_docs_rules_md_is_up_to_date():
    """Fails when the catalogue, the whitelist or a policy file changed: run ``python -m fupin.policy.rules.docs``."""
    assert DOCS_PATH.read_text(encoding="utf-8") == rules_markdown()


def test_docs_document_every_column_rule_and_pathway():
    text = rules_markdown()
    for name in (*HOUSEHOLD_COLUMNS, *PERSON_COLUMNS):
        assert f"| `{name}` |" in text
    policy = load_default_policy()
    for rule in (*policy.eligibility, *policy.exclusions):
        assert f"`{rule.id}`" in text and f"`{rule.text}`" in text
    for scheme in policy.scheme_list:
        assert f"(`{scheme.id}`)" in text
        for pathway in scheme.pathways:
            assert f"`{pathway.rule}`" in text.replace("\\|", "|")


def test_every_column_is_labelled_in_both_languages():
    for column in (*HOUSEHOLD_COLUMNS.values(), *PERSON_COLUMNS.values()):
        assert column.label_zh and column.label_en, column.name


def _modules() -> list[Path]:
    return [p for package in PACKAGES for p in package.glob("*.py")]


def test_rules_and_data_packages_import_no_django():
    assert len(_modules()) >= 8
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            for name in names:
                root = name.split(".")[0]
                assert root in ALLOWED_ROOTS, f"{path.name} imports {name}"
                if root == "fupin":
                    assert name.startswith("fupin.policy"), f"{path.name} imports {name}"


def test_no_eval_or_exec_anywhere_in_the_rule_engine():
    for path in [*_modules(), *POLICY.glob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile"), f"{path.name} calls {node.func.id}"
