# Sourced by scripts/run and scripts/test: create or reuse .venv and install the project into it.
# Reinstalls only when pyproject.toml changed since the last install.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "Agora needs Python 3.11 or newer (found: $("$PY" --version 2>&1))." >&2
    exit 1
fi
if [ ! -x "$ROOT/.venv/bin/python" ]; then
    echo "creating virtual environment in .venv" >&2
    "$PY" -m venv "$ROOT/.venv"
fi
STAMP="$ROOT/.venv/.agora-installed"
WANT="$(sha256sum "$ROOT/pyproject.toml" | cut -d' ' -f1)"
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$WANT" ]; then
    echo "installing Agora and its dependencies into .venv" >&2
    LOG="$ROOT/.venv/install.log"
    if ! "$ROOT/.venv/bin/python" -m pip install -e "$ROOT[dev]" >"$LOG" 2>&1; then
        tail -n 40 "$LOG" >&2
        echo "installing failed; the whole log is in $LOG" >&2
        exit 1
    fi
    echo "$WANT" > "$STAMP"
fi
