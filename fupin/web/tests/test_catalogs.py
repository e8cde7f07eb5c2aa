"""The Chinese catalogs: one (msgctxt, msgid) key means one thing site-wide.

Django merges the project catalog (LOCALE_PATHS, fupin/locale) and every app's catalog into one: the project's
entry wins over the apps', and among the apps the first in INSTALLED_APPS wins. So an app entry with the key of
a project entry but another msgstr never shows (the page has the project's Chinese), and two apps translating
one key differently show the first app's word on the other app's pages too.
Same meaning → one wording (keep the project's, or the better established term in both apps; or delete the
duplicate entry); different meaning → give the use a context (``{% translate "Member" context "pairing" %}``,
``pgettext``) and the app entry the same msgctxt.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.conf import settings
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import translation

LANG_DIR = Path("zh_Hans") / "LC_MESSAGES"


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # msgstr is index 0; msgstr[n] is index n
    fuzzy: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def live(self) -> bool:
        """In the compiled catalog: not the header, not fuzzy, translated (gettext ignores the rest)."""
        return bool(self.msgid) and not self.fuzzy and any(self.msgstr.values())


def parse_po(path: Path) -> list[Entry]:
    """A small .po reader (msgctxt, msgid, msgid_plural, msgstr, msgstr[n], continued strings, flags);
    obsolete (#~) entries are comments and are skipped."""
    entries: list[Entry] = []
    fields: dict[str, str] = {}
    flags: set[str] = set()
    last: str | None = None

    def flush() -> None:
        nonlocal fields, flags, last
        if "msgid" in fields:
            msgstr = {0 if k == "msgstr" else int(k[7:-1]): v for k, v in fields.items() if k.startswith("msgstr")}
            entries.append(Entry(msgid=fields["msgid"], msgctxt=fields.get("msgctxt"),
                                 msgid_plural=fields.get("msgid_plural"), msgstr=msgstr, fuzzy="fuzzy" in flags))
        fields, flags, last = {}, set(), None

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#"):
            if any(k.startswith("msgstr") for k in fields):
                flush()
            if line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(","))
            continue
        if line.startswith('"'):
            assert last is not None, f"{path}:{number}: a string continues nothing"
            fields[last] += ast.literal_eval(line)
            continue
        keyword, _, value = line.partition(" ")
        if keyword in ("msgctxt", "msgid") and any(k.startswith("msgstr") for k in fields):
            flush()  # a new entry without a blank line before it
        assert keyword in ("msgctxt", "msgid", "msgid_plural") or keyword.startswith("msgstr"), \
            f"{path}:{number}: unexpected {keyword!r}"
        fields[keyword] = ast.literal_eval(value)
        last = keyword
    flush()
    return entries


def project_catalog() -> Path:
    [locale_dir] = settings.LOCALE_PATHS
    return Path(locale_dir) / LANG_DIR / "django.po"


def app_catalogs() -> dict[str, Path]:
    """The Chinese catalog of every fupin app that has one (Django merges them in). Django's own apps
    (admin, auth …) are left out: the project catalog overriding their wording is intended."""
    found = {}
    for config in apps.get_app_configs():
        if not config.name.startswith("fupin."):
            continue
        po = Path(config.path) / "locale" / LANG_DIR / "django.po"
        if po.is_file():
            found[config.label] = po
    return found


def _show(entry: Entry) -> str:
    strings = [entry.msgstr[i] for i in sorted(entry.msgstr)]
    return strings[0] if len(strings) == 1 else " | ".join(strings)


def test_the_catalogs_are_found_and_read():
    project = parse_po(project_catalog())
    assert len([e for e in project if e.live]) > 100
    found = app_catalogs()
    assert {"pairing", "review", "rules", "exits", "identification", "monitoring", "region_exit"} <= set(found)
    for path in found.values():
        assert any(e.live for e in parse_po(path)), path


def test_no_app_entry_is_overridden_by_the_project_catalog():
    """An app entry with the msgctxt and msgid of a project entry (no msgctxt on both, in the usual case)
    must have the same msgstr: otherwise the project's Chinese is shown instead of the app's."""
    project = {e.key: e for e in parse_po(project_catalog()) if e.live}
    clashes = []
    for label, path in sorted(app_catalogs().items()):
        for entry in parse_po(path):
            theirs = project.get(entry.key)
            if entry.live and theirs is not None and entry.msgstr != theirs.msgstr:
                context = f" [msgctxt {entry.msgctxt!r}]" if entry.msgctxt is not None else ""
                clashes.append(f"{label}: {entry.msgid!r}{context}: project {_show(theirs)!r} → app {_show(entry)!r}")
    for line in clashes:
        print(line)
    assert not clashes, (
        f"{len(clashes)} app translation(s) hidden by fupin/locale (same wording → delete the app entry; "
        "another meaning → a msgctxt with the app label):\n" + "\n".join(clashes))


def test_the_compiled_catalogs_match_their_sources():
    """Django reads the .mo files: a .po fixed without msgfmt still shows the old Chinese."""
    stale = []
    for label, po in sorted({"project": project_catalog(), **app_catalogs()}.items()):
        mo = po.with_suffix(".mo")
        if not mo.is_file():
            stale.append(f"{label}: {mo} is missing")
            continue
        with mo.open("rb") as handle:
            compiled = gettext.GNUTranslations(handle)._catalog  # type: ignore[attr-defined]
        expected: dict[object, str] = {}
        for e in parse_po(po):
            if not e.live:
                continue
            msgid = e.msgid if e.msgctxt is None else f"{e.msgctxt}\x04{e.msgid}"
            if e.msgid_plural is None:
                expected[msgid] = e.msgstr[0]
            else:
                expected.update({(msgid, i): s for i, s in e.msgstr.items()})
        compiled = {k: v for k, v in compiled.items() if k != ""}
        if compiled != expected:
            differ = sorted(str(k) for k in set(compiled) ^ set(expected)) or sorted(
                str(k) for k in expected if compiled.get(k) != expected[k])
            stale.append(f"{label}: {mo} differs from {po.name} ({', '.join(differ[:5])})")
    assert not stale, "recompile with `msgfmt --check -o django.mo django.po`:\n" + "\n".join(stale)


def app_clashes() -> list[str]:
    """Every live (msgctxt, msgid) key that two or more apps' catalogs translate differently, one line each."""
    held: dict[tuple[str | None, str], dict[str, Entry]] = {}
    for label, path in app_catalogs().items():
        for entry in parse_po(path):
            if entry.live:
                held.setdefault(entry.key, {})[label] = entry
    order = [c.label for c in apps.get_app_configs()]
    clashes = []
    for (msgctxt, msgid), by_app in sorted(held.items(), key=lambda item: (item[0][1], item[0][0] or "")):
        if len({tuple(sorted(e.msgstr.items())) for e in by_app.values()}) < 2:
            continue
        context = f" [msgctxt {msgctxt!r}]" if msgctxt is not None else ""
        words = ", ".join(f"{label} {_show(by_app[label])!r}" for label in sorted(by_app, key=order.index))
        clashes.append(f"{msgid!r}{context}: {words}")
    return clashes


def test_no_two_apps_translate_one_key_differently():
    """Django merges the apps' catalogs in INSTALLED_APPS order and the first app's msgstr wins on every page:
    two apps with the same live (msgctxt, msgid) but another msgstr means one app's pages show the other's word.
    Same meaning → one wording (or one entry); another meaning → a msgctxt on one (or both) uses."""
    clashes = app_clashes()
    for line in clashes:
        print(line)
    assert not clashes, (
        f"{len(clashes)} key(s) translated differently by two apps (the first in INSTALLED_APPS wins everywhere; "
        "same meaning → one wording, another meaning → a msgctxt):\n" + "\n".join(clashes))


# What the merged catalog says for keys whose meaning was settled with a context (two apps had translated the
# same msgid for different things). Each (msgctxt, msgid) is asked through Django's own template tags.
SETTLED = [
    (None, "open", "未处理"),  # an objection not yet resolved (identification, exits, region_exit, monitoring)
    ("policy", "open", "长期"),  # a policy valid without an end date (rules)
    (None, "Procedure", "程序"),  # a village exit case's procedure (region_exit)
    ("identification", "Procedure", "识别程序"),
    (None, "Propose", "提出"),  # the township proposes a village's exit (region_exit)
    ("exits", "Propose", "列入拟退出"),  # households onto the year's list of proposed exits (exits)
    (None, "Reasons", "原因"),  # why households and persons moved in or out (review)
    ("identification", "Reasons", "理由"),  # the grounds of an automatic decision
    (None, "Villages", "行政村"),  # a list of villages (region_exit)
    ("count", "Villages", "村数"),  # a number of villages (pairing coverage)
    (None, "Persons", "人口"),  # the people of households (region pages)
    ("count", "Persons", "人数"),  # a count of persons or person records (review flows, import counts)
]


@pytest.mark.parametrize(("msgctxt", "msgid", "chinese"), SETTLED, ids=[f"{c}|{m}" for c, m, _ in SETTLED])
def test_a_settled_key_reads_as_its_meaning(msgctxt, msgid, chinese):
    context = f" context {msgctxt!r}" if msgctxt is not None else ""
    with translation.override("zh-hans"):
        shown = Template(f"{{% load i18n %}}{{% translate {msgid!r}{context} %}}").render(Context())
    assert shown == chinese


def test_an_open_objection_reads_not_yet_resolved_on_every_procedure_page():
    """The objections block that identification, exits and monitoring share (region_exit has its own list)."""
    objection = SimpleNamespace(pk=1, is_open=True, raised_by="村民乙", text="家有货车", raised_on=None,
                                resolved_on=None, step="first_publicity")
    with translation.override("zh-hans"):
        html = render_to_string("web/procedure/_objections.html", {
            "step": SimpleNamespace(publicity_days=7), "objections": [objection], "resolve_forms": [],
            "objection_form": None, "procedure": SimpleNamespace(steps=[])})
    assert "<strong>未处理</strong>" in html and "长期" not in html
