"""docs/rules.md, generated from the column catalogue, the whitelist and the shipped policy files.

``python -m fupin.policy.rules.docs`` rewrites the file; a test fails when it is out of date, so the
documentation cannot drift from the catalogue, the default rules or the schemes.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from .. import codes
from ..policy_sets import OVERRIDE_KEYS, load_default_policy
from .columns import CATEGORY_GROUPS, HOUSEHOLD_COLUMNS, KIND_LABELS, PERSON_COLUMNS, Column
from .parser import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, OPERATORS

DOCS_PATH = Path(__file__).resolve().parents[3] / "docs" / "rules.md"


def _cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", "<br>")


def _columns_table(columns: Mapping[str, Column]) -> list[str]:
    lines = ["| # | 列 column | 类型 kind | 中文 | English | 说明 description |", "| --- | --- | --- | --- | --- | --- |"]
    for i, c in enumerate(columns.values(), start=1):
        note = c.description
        if c.code_list:
            cl = codes.ALL_LISTS[c.code_list]
            items = "; ".join(f"{item.code or '空'} {item.zh}" for item in cl.items)
            note = f"{note} 代码 codes ({cl.zh}): {items}".strip()
        lines.append(f"| {i} | `{c.name}` | {KIND_LABELS[c.kind]} | {_cell(c.label_zh)} | {_cell(c.label_en)} "
                     f"| {_cell(note)} |")
    return lines


_LANGUAGE = f"""\
## 1. 规则语言 The rule language

A rule (规则) is a named, labelled condition — a Chinese label, an English id — over the documented
columns of an analytic view (§2). It is written as a small subset of SQL expressions:

```sql
income_per_capita < poverty_line AND n_labour = 0
category_group IN ('general', 'dibao_poor') AND (cause_land OR cause_water OR cause_transport)
n_members > 0 AND n_away_12m = n_members
```

The same text decides one household on a form (pure Python, microseconds: `CompiledRule.evaluate`),
a whole registry (Polars: `CompiledRule.to_polars`) and, when the registry outgrows one machine, a
Spark job (`CompiledRule.to_spark_sql`). All three run from one engine-neutral form (a JSON tree,
`CompiledRule.ir`); a property test holds the one-row and the whole-frame answers equal on random
households and random rules. Rule text is never passed to `eval`/`exec` or to a database.
Before a rule becomes a Polars expression, every part of it that reads no column (`1 + 2`,
`NOT (1 > 2)`) is computed with the one-row evaluator, and every comparison or sum with a NULL operand
or division by a constant 0 becomes a NULL of its type (`to_polars.fold_constants`): the values are
the same, and Polars' optimiser never meets those parts (Polars 1.44 gave some of them the wrong
height; see `docs/decisions.md`).

### Whitelist

| what | allowed |
| --- | --- |
| columns | the names in §2 for the rule's unit (户 household or 人 person); case does not matter |
| literals | numbers (`3`, `2.5`, `-1`, `1e3`), text in single quotes (`'1'`, `'中文'`; `''` for a quote), `TRUE`, `FALSE`, `NULL` |
| operators | {", ".join(f"`{o}`" for o in OPERATORS)} |
| functions | {", ".join(f"`{name}`" for name in FUNCTIONS)} |

Anything else is refused with an error (`RuleError`, a `ValueError`) in Chinese and English that
names the offending token, for example:

| text | message |
| --- | --- |
| `DROP TABLE x` | 不允许的词 token not allowed: DROP |
| `1; DROP TABLE x` | 不允许分号或多条语句 ';' and multiple statements are not allowed: ; |
| `n_labour IN (SELECT id FROM t)` | 不允许的词 token not allowed: SELECT |
| `foo > 1` | 未知列 unknown column: foo |
| `FOO(n_labour) > 1` | 未知函数 unknown function: FOO |
| `UPPER(main_cause) = '1'` | 不允许的函数 function not allowed: UPPER |
| `n_labour = 0 -- note` | 不允许注释 comments are not allowed: -- / /* */ |
| `main_cause = "1"` | 文字请用单引号 use single quotes for text: "1" |
| `any_vehicle = 1` | 类型不匹配 type mismatch (是/否 boolean / 数值 number): any_vehicle = 1 |

Also refused: sub-queries and statements of any kind, `CASE`, `LIKE`, `CAST`, `%`, qualified names
(`t.col`), `IS TRUE`, `NULL` inside an `IN` list, empty text, more than {MAX_LENGTH} characters, nesting
deeper than {MAX_DEPTH}.

### Types

Numbers (`int` and `float` columns, number literals — all computed as 64-bit floats), booleans, text
and dates. Comparisons need two values of the same type (or `NULL`); booleans compare only with `=` and
`!=` (comparing a boolean with a number, `any_vehicle = 1`, is refused — write `any_vehicle`);
arithmetic, `ABS`, `LEAST` and `GREATEST` take numbers; `LENGTH` takes text and gives a number;
`AND`/`OR`/`NOT` take conditions; a whole rule must be a condition. Codes are text: `main_cause = '1'`.

### NULL (unknown values)

SQL's three-valued logic: a comparison or arithmetic with `NULL` is `NULL`; `FALSE AND NULL` is
`FALSE`, `TRUE OR NULL` is `TRUE`, `NOT NULL` is `NULL`; `x IN (…)` and `x BETWEEN a AND b` with a
`NULL` are `NULL` (BETWEEN is `x >= a AND x <= b`); division by zero is `NULL`; `COALESCE` takes the
first non-`NULL`; `LEAST`/`GREATEST` skip `NULL`s. **At the top level `NULL` counts as false**: a rule
fires only when it is true. Use `IS NULL` / `COALESCE` to say what an unknown value means.

### Spark

`to_spark_sql()` writes the predicate with sqlglot in Spark's dialect: every sub-expression in
parentheses, division as `CASE WHEN d = 0 THEN NULL ELSE n / d END`, the whole wrapped in
`COALESCE(…, FALSE)`. Example: `income_per_capita < poverty_line AND n_labour = 0` →
`COALESCE(((income_per_capita < poverty_line) AND (n_labour = 0)), FALSE)`.
"""

_VIEWS = """\
## 2. 分析视图 The analytic views

`fupin.policy.analytic_view.household_view(households, members, *, as_of, poverty_line, matches=None,
income_settings=None)` gives one row per household; `person_view(households, members, *, as_of,
matches=None, income_settings=None)` one row per active member. Inputs are frames with the Django
model field names of the registry; `matches` are other departments' hits (数据比对: `id_number`,
`kind` ∈ vehicle, real_estate, business, payroll, village_cadre, death). Member aggregates count
**active** members only; ages are completed years on `as_of`; derived flags are false when the code
they read is missing; a missing input column is `NULL`. `poverty_line` is one amount or a mapping
识别标准 → amount (applied by each household's `identification_standard`); with `income_settings` the
income is recomputed with the transfers the policy counts.
"""


def _scheme_section() -> list[str]:
    policy = load_default_policy()
    lines = ["## 5. 帮扶路径方案 Pathway schemes (N个一批)", "",
             "A scheme classifies households or persons (its `unit`) into pathways by their rules. `overlap = "
             "\"all\"`: a unit is in every pathway whose rule holds; `overlap = \"first\"`: in the first pathway "
             "(in order) whose rule holds, plus every pathway marked *overlapping* whose rule holds. A unit that "
             "no rule fits is in no pathway. `fupin.policy.pathways.classify(scheme, households, persons)` gives "
             "one row per (unit, pathway) with `rule_id` = `scheme.pathway`; `classify_one` gives one household's "
             "pathways with their rules for its page; `count_by_region` counts households and persons per pathway "
             "at every region level (by the ancestor prefix of `village_code`).", "",
             "The rules below are **defaults**: the seeds name the pathways (and Xianning and Sanming their "
             "criteria); where they do not, fupin's rule is a reasonable reading that a county changes in its "
             "override file.", ""]
    for scheme in policy.scheme_list:
        unit = "户 household" if scheme.unit == "household" else "人 person"
        lines += [f"### {scheme.label_zh} {scheme.label_en} (`{scheme.id}`)", "",
                  f"Unit 对象: {unit}; overlap 重叠: `{scheme.overlap}`. Source 来源: {scheme.source}", "",
                  "| # | 路径 pathway | id | 规则 rule | 说明 notes |", "| --- | --- | --- | --- | --- |"]
        for i, p in enumerate(scheme.pathways, start=1):
            note = ("(overlapping 与其他路径重叠) " if p.overlapping else "") + p.description
            lines.append(f"| {i} | {_cell(p.label_zh)}<br>{_cell(p.label_en)} | `{p.id}` | `{_cell(p.rule)}` "
                         f"| {_cell(note)} |")
        lines.append("")
    lines += [
        "Decisions where the seeds were silent or ambiguous:", "",
        "- **Xianning**: the four counts of seed 000 (20.4万 + 4.3万 + 8.1万 + 5.5万) add up to all 38.3万 poor "
        "persons, so the first four pathways divide the persons (`first`), and 移民安置 (\"在以上贫困户对象中\") "
        "overlaps. \"19岁以上\" and \"18岁以下\" are read inclusively, so no age falls between them: an "
        "18-year-old is in 教育培训, a 19-year-old with labour in 开发式. Order: 教育培训, 医疗救助, 开发式, 保障供养 "
        "— a person on 低保 who can work is in 开发式 (as Sanming separates 有劳动能力的低保贫困户); "
        "保障供养 also takes the remaining persons without labour (应保尽保).",
        "- **Sanming**: main **and** other causes count — the household counts of seed 003's nine pathways add "
        "up to 31,019, more than the 30,170 registered households, so a household is counted under each of its "
        "causes. The nine cause pathways apply to 一般贫困户 and 有劳动能力的低保贫困户 (`category_group` general "
        "or dibao_poor), as the seed says; 无劳动能力的低保户 get 两保障 and 五保户 两供养 instead. 因婚 (12) and "
        "其他 (99) have no pathway of their own.",
        "- **National, Jingyu**: the texts name the pathways only. \"Poor environment\" (易地搬迁) is causes 5 "
        "缺土地, 6 缺水 or 10 交通条件落后, or difficult water 5 km or more from the main road; 一事一议 (village "
        "public works) is a household without power, without safe or easy water, or with a dirt or gravel road.",
        "",
    ]
    return lines


def _policy_section() -> list[str]:
    policy = load_default_policy()
    lines = [
        "## 3. 政策文件 Policy files and the default policy", "",
        "Policy is data with versions and dates (`fupin.policy.policy_sets.PolicySet`, frozen). The shipped "
        "files in `fupin/policy/data/` are read with `tomllib` by `load_default_policy()`:", "",
        "- `policy.toml` — id, version, validity (`valid_from`, `valid_to`), `released`, 识别标准 `standard` "
        "(1 国家 / 2 省定 / 3 市定), year `lag` (judge year N by the line of N − lag), `line_series`, the list "
        "of `schemes`, `[income] counted_transfers` (which of the transfer lines count in 年人均纯收入), and the "
        "`[[eligibility]]` and `[[exclusions]]` rules (id, label_zh, label_en, text, enabled, description);",
        "- `poverty_lines.toml` — `[series.<id>]` labels and `[[lines]]` with series, standard, region (prefix: "
        "\"\" national, \"35\" province, \"350421\" county), year, amount, `unconfirmed`, note. A lookup takes the "
        "most specific region prefix for (series, standard, year) and never falls back silently;",
        "- `scheme_<id>.toml` — one pathway scheme (id, labels, unit, overlap, source, `[[pathways]]` with id, "
        "labels, rule, overlapping, description).", "",
        f"Default version: `{policy.version}`, valid from {policy.valid_from.isoformat()}, standard "
        f"{policy.standard}, lag {policy.lag}, series `{policy.line_series}`; counted transfers: "
        f"{', '.join(sorted(policy.income.counted_transfers))}.", "",
        "### 扶贫标准 Poverty lines (yuan per person per year)", "",
        "| series | standard | region | year | amount | unconfirmed | note |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for line in policy.lines.lines:
        lines.append(f"| `{line.series}` | {line.standard} | {line.region or '全国'} | {line.year} "
                     f"| {line.amount:g} | {'是 yes' if line.unconfirmed else ''} | {_cell(line.note)} |")
    lines += ["", "### 识别条件与排除条件 Eligibility and exclusion rules (八不入)", "",
              "A household is **eligible** when every enabled eligibility rule holds and no enabled exclusion "
              "holds. The income test is itself a rule (`income_below_line`, which a policy must keep and keep "
              "enabled; a county may change its text). `fupin.policy.eligibility.decide(view, policy)` decides a "
              "whole household view, `decide_one(row, policy)` one household, from the same compiled rules; "
              "`reasons` lists the rules that fired (eligibility rules that held, exclusions that held), `failed` "
              "the eligibility rules that did not hold.", "",
              "| kind | id | 规则 label | rule | enabled | notes |", "| --- | --- | --- | --- | --- | --- |"]
    for kind, rules in (("eligibility", policy.eligibility), ("exclusion", policy.exclusions)):
        for r in rules:
            lines.append(f"| {kind} | `{r.id}` | {_cell(r.label_zh)}<br>{_cell(r.label_en)} | `{_cell(r.text)}` "
                         f"| {'是 yes' if r.enabled else '否 no'} | {_cell(r.description)} |")
    lines += ["",
              "八不入 items the registry cannot see — self-funded study abroad or commercial pension insurance, "
              "splitting or merging a household for benefits, a complaint that cannot be explained, illegal "
              "conduct — are judged at 民主评议 and recorded there, not by a rule.", ""]
    return lines


_OVERRIDE = """\
## 4. 县级覆盖 How a county overrides the policy

A released policy set is never edited. A county (or province, or city) writes an override — a TOML
file or the same mapping as JSON — and `apply_override(base, override, *, version, valid_from=None,
valid_to=None, released=False)` returns a **new** set with a new version, `based_on` the base's. Every
rule in it is checked at once: a bad rule fails with `RuleError` naming the rule
(`规则 rule ex_vehicle: 未知列 unknown column: any_car`). `to_dict()` / `PolicySet.from_dict()` store and
restore a set as JSON.

Keys (all optional): {keys}.

| key | effect |
| --- | --- |
| `standard`, `lag`, `line_series` | replace the setting |
| `counted_transfers`, `income_version` | which transfer lines count in 年人均纯收入 |
| `poverty_lines` | lines added, replacing a line with the same (series, standard, region, year) |
| `rules` | each with `kind` (`eligibility` / `exclusion`) and `id`: an existing id gets the given fields replaced (the rest kept); a new id is appended |
| `disable_rules`, `enable_rules` | switch rules off or on by id (`income_below_line` cannot be switched off) |
| `schemes`, `remove_schemes` | whole schemes added or replaced by id; schemes removed |
| `id`, `label_zh`, `label_en`, `valid_from`, `valid_to` | the new set's identity and validity |

```toml
version = "350421-2017.1"
label_zh = "明溪县扶贫政策"
standard = "2"
lag = 1
counted_transfers = ["transfer_wubao", "transfer_pension", "transfer_eco", "transfer_other"]
disable_rules = ["ex_village_cadre"]

[[poverty_lines]]
standard = "2"
region = "35"
year = 2016
amount = 3300

[[rules]]
id = "ex_vehicle"
text = "any_vehicle AND income_per_capita >= 2000"

[[rules]]
kind = "exclusion"
id = "ex_big_house"
label_zh = "住房面积过大"
label_en = "House too large"
text = "housing_area_m2 / n_members > 60"
```
"""


def rules_markdown() -> str:
    """The text of docs/rules.md."""
    lines = [
        "# 规则、政策与帮扶路径 Rules, policy and pathways", "",
        "<!-- Generated by `python -m fupin.policy.rules.docs` from fupin/policy/rules/columns.py, the whitelist"
        " and fupin/policy/data/*.toml; do not edit by hand (a test checks it is up to date). -->", "",
        "How fupin decides who is poor and why (精准识别): the rule language, the columns rules are written "
        "against, the policy files with their defaults, how a county overrides them, and the pathway schemes.",
        "", _LANGUAGE, _VIEWS,
        "### 户分析视图 Household view (`HOUSEHOLD_COLUMNS`, unit `household`)", "",
        *_columns_table(HOUSEHOLD_COLUMNS), "",
        "`category_group` values:", "",
        "| value | 中文 | English |", "| --- | --- | --- |",
        *(f"| `{k}` | {zh} | {en} |" for k, (zh, en) in CATEGORY_GROUPS.items()), "",
        "### 人分析视图 Person view (`PERSON_COLUMNS`, unit `person`)", "",
        *_columns_table(PERSON_COLUMNS), "",
        *_policy_section(),
        _OVERRIDE.format(keys=", ".join(f"`{k}`" for k in OVERRIDE_KEYS)),
        *_scheme_section(),
    ]
    return "\n".join(lines).rstrip("\n") + "\n"


def write_docs(path: Path = DOCS_PATH) -> None:
    path.write_text(rules_markdown(), encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else DOCS_PATH
    write_docs(target)
    print(f"wrote {target}")
