# Sourced by the scripts: make sure .venv exists with the locked dependencies installed.
# Usage: ensure_venv requirements.lock|requirements-dev.lock
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

ensure_venv() {
  local lock="$ROOT/$1"
  local stamp="$VENV/.installed-$(basename "$lock")"
  local python="${FUPIN_PYTHON:-}"
  if [ -z "$python" ]; then
    for candidate in python3.11 python3; do
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
        python="$candidate"; break
      fi
    done
  fi
  if [ -z "$python" ]; then
    echo "fupin needs Python 3.11 (set FUPIN_PYTHON to its path)" >&2; exit 1
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    "$python" -m venv "$VENV"
  fi
  # Reinstall only when the lock file or pyproject changed since the last install.
  local want
  want="$(cat "$lock" "$ROOT/pyproject.toml" | sha256sum | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$lock"
    # First with the venv's own setuptools (no download); a venv made by Python 3.11 has
    # setuptools 65 without `wheel`, which cannot build an editable install ("invalid command
    # 'bdist_wheel'"), so that attempt's output is dropped and pip then builds with setuptools>=69
    # from pyproject's build-system. An error of the second attempt is shown.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e "$ROOT" \
        >/dev/null 2>&1 \
      || "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$ROOT"
    echo "$want" > "$stamp"
  fi
}
