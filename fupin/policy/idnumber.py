"""Resident identity numbers (公民身份号码, GB 11643-1999) and disability certificate numbers (残疾人证号).

- 18 digits: 6 address + 8 birth date + 3 sequence (odd male, even female) + check character.
  S = Σ digit × weight (7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2); S mod 11 → ``10X98765432``.
- 15 digits (legacy): 6 address + 6 birth date (yymmdd, 19yy) + 3 sequence; upgraded by inserting
  "19" before the year and appending the check character.
- 20 digits: a disability certificate number = the 18-character ID + 2 digits (disability kind and
  grade); a person without an ID card may be registered with it.

Lower-case ``x`` is accepted and upper-cased. Anything else is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fupin.policy import clock

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

KIND_RESIDENT = "resident"  # 18-digit resident ID
KIND_LEGACY = "legacy15"  # 15-digit number, upgraded to 18
KIND_DISABILITY = "disability"  # 20-digit disability certificate number

#: A number with ``*`` is a masked one (:func:`mask_id_number`), e.g. from a masked export.
MASKED_ID_ZH = "证件号码已脱敏(含*号),不能使用;请用有权查看完整号码的账号导出"
MASKED_ID_EN = "masked ID number (with *) cannot be used; export it as a user who may see full numbers"


@dataclass(frozen=True)
class IdNumberResult:
    """The outcome of checking one number: ``ok`` with the normalised number, or the reason."""

    ok: bool
    raw: str
    number: str = ""  # normalised: 18 chars, or 20 for a disability certificate
    kind: str = ""
    birth_date: date | None = None
    sex: str = ""  # "1" male, "2" female (GB/T 2261)
    reason: str = ""  # Chinese first; the English follows after " / "


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("need 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _fail(raw: str, zh: str, en: str) -> IdNumberResult:
    return IdNumberResult(ok=False, raw=raw, reason=f"{zh} / {en}")


def _birth(yyyymmdd: str) -> date | None:
    try:
        return date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        return None


def upgrade_15(number15: str) -> str:
    """A 15-digit legacy number as its 18-character form."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_character(first17)


def validate_id_number(raw: str, *, today: date | None = None) -> IdNumberResult:
    """Check and normalise an ID number (18, 15 or 20 characters)."""
    value = (raw or "").strip().upper()
    if not value:
        return _fail(raw, "证件号码为空", "ID number is empty")
    if "*" in value:
        return _fail(raw, MASKED_ID_ZH, MASKED_ID_EN)
    if "E+" in value or "E-" in value or "." in value:
        return _fail(raw, "证件号码被表格软件存成了数字(科学计数法),位数已丢失", "ID number was stored as a number by a spreadsheet (digits lost)")
    kind = KIND_RESIDENT
    suffix = ""
    if len(value) == 15:
        if not value.isdigit():
            return _fail(raw, "15位证件号码只能由数字组成", "a 15-digit number must be all digits")
        if _birth("19" + value[6:12]) is None:
            return _fail(raw, "出生日期无效", "invalid birth date")
        value = upgrade_15(value)
        kind = KIND_LEGACY
    elif len(value) == 20:
        if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X") or not value[18:].isdigit():
            return _fail(raw, "20位残疾人证号格式错误", "malformed 20-digit disability certificate number")
        suffix = value[18:]
        value = value[:18]
        kind = KIND_DISABILITY
    elif len(value) != 18:
        return _fail(raw, f"证件号码位数错误({len(value)}位)", f"wrong length ({len(value)} characters)")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        return _fail(raw, "证件号码含非法字符", "illegal characters in ID number")
    birth = _birth(value[6:14])
    if birth is None:
        return _fail(raw, "出生日期无效", "invalid birth date")
    today = today or clock.today()
    if birth > today or birth.year < 1850:
        return _fail(raw, "出生日期不在合理范围", "birth date out of range")
    expected = check_character(value[:17])
    if value[17] != expected:
        return _fail(raw, f"校验位错误(应为{expected})", f"wrong check character (expected {expected})")
    sex = "1" if int(value[16]) % 2 == 1 else "2"
    return IdNumberResult(
        ok=True, raw=raw, number=value + suffix, kind=kind, birth_date=birth, sex=sex,
    )


def mask_id_number(number: str) -> str:
    """``350421199001011234`` → ``3504**********1234`` (first 4, last 4 kept)."""
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def age_on(birth: date, on: date) -> int:
    """Whole years of age on a date."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def make_id_number(address6: str, birth: date, sequence: int, *, sex: str | None = None) -> str:
    """A well-formed 18-character number (for demo data and tests): sequence 0–999; ``sex`` forces
    the parity of the sequence ("1" odd/male, "2" even/female)."""
    seq = sequence % 1000
    if sex == "1" and seq % 2 == 0:
        seq = (seq + 1) % 1000
    elif sex == "2" and seq % 2 == 1:
        seq = (seq + 1) % 1000
    first17 = f"{address6}{birth:%Y%m%d}{seq:03d}"
    return first17 + check_character(first17)
