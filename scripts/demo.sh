#!/usr/bin/env bash
# 一键安装并启动演示系统 / install everything and start fupin with demo data on http://127.0.0.1:8000
# Extra arguments go to `fupin demo` (e.g. --no-serve, --addrport 0.0.0.0:8000).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/_venv.sh"
ensure_venv requirements.lock
exec "$VENV/bin/fupin" demo "$@"
