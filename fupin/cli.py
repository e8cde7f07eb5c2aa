"""The ``fupin`` console command: django-admin with fupin's settings plus fupin's own commands.

``fupin migrate``, ``fupin runserver``, ``fupin demo``, ``fupin user add …``, ``fupin token create …``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fupin.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fupin", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
