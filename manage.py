#!/usr/bin/env python
"""Django's manage.py; the same as the ``fupin`` console command."""

from fupin.cli import main

if __name__ == "__main__":
    main()
