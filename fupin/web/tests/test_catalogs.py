"""The Chinese catalogs: an app's translation must not be silently overridden by the project catalog.

Django looks a msgid up in LOCALE_PATHS (fupin/locale) before the apps' catalogs, so an app entry with the
same msgctxt and msgid as a project entry but another msgstr never shows: the page has the project's Chinese.
Same meaning → keep the project's wording (delete the app entry); different meaning → give the app's use a
context (``{% translate "Member" context "pairing" %}``, ``pgettext``) and the app entry the same msgctxt.
"""

from __future__ import annotations

import ast
import gettext
from dataclasses import dataclass, field
from pathlib import Path

from django.apps import apps
from django.conf import settings

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
