#!/usr/bin/env bash
# 运行全部测试 / run the whole test suite.
#   bash scripts/test.sh                 # on SQLite (the default database)
#   FUPIN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bash scripts/test.sh   # on PostgreSQL
# Extra arguments go to pytest. The suite runs in one worker per core, at most four (pytest-xdist;
# each worker has its own test database and data folder); FUPIN_TEST_WORKERS=0 runs it in one
# process (for --pdb), FUPIN_TEST_WORKERS=N in N. The browser tests need Debian's chromium and
# fonts-noto-cjk: they are installed with apt when missing and this runs as root; otherwise install
# them first.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv requirements-dev.lock

# (grep without -q: with -q it stops at the first match, fc-list then dies of SIGPIPE and pipefail
# reports the fonts missing.)
if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium and fonts-noto-cjk for the browser tests …"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null
  else
    echo "the browser tests need chromium and fonts-noto-cjk: sudo apt-get install chromium fonts-noto-cjk" >&2
    exit 1
  fi
fi

cd "$ROOT"
echo "database: ${FUPIN_DATABASE_URL:-SQLite (default)}"
exec "$VENV/bin/pytest" -n "${FUPIN_TEST_WORKERS:-auto}" --maxprocesses=4 "$@"
