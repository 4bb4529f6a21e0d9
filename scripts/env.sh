#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment and install lkseg_nb into it. Sourced by main.sh and test.sh.
# torch is installed FIRST from the CPU wheel (a bare `torch` requirement would pull a multi-GB CUDA build).
# GPU machines: set LKSEG_TORCH="torch==2.13.0 --index-url <CUDA wheel index>" and LKSEG_SPCONV=spconv-cu12x (or
# spconv-cu118) before running; never install two spconv wheels together.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${LKSEG_VENV:-$ROOT/.venv}"
PY="${PYTHON:-python3}"
"$PY" -c 'import sys; assert sys.version_info >= (3, 11), f"Python >= 3.11 needed, found {sys.version.split()[0]}"'
if [ ! -x "$VENV/bin/python" ]; then
  echo "[env] creating $VENV"
  "$PY" -m venv "$VENV"
fi
PIP="$VENV/bin/python -m pip --disable-pip-version-check -q"
EXTRAS="${1:-}"
stamp="$VENV/.lkseg-installed$EXTRAS"
if [ ! -f "$stamp" ] || [ "$ROOT/settings.ini" -nt "$stamp" ] || [ "$ROOT/setup.py" -nt "$stamp" ]; then
  echo "[env] installing ${LKSEG_TORCH:-torch==2.13.0} first, then lkseg_nb${EXTRAS}"
  $PIP install ${LKSEG_TORCH:-torch==2.13.0} 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -W ignore -c 'import torch' || { echo "[env] torch failed to install"; exit 1; }
  $PIP install -e "$ROOT$EXTRAS" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import lkseg_nb' || { echo "[env] lkseg_nb failed to install"; exit 1; }
  if [ -n "${LKSEG_SPCONV:-}" ]; then $PIP install "$LKSEG_SPCONV" 2>&1 | grep -v '^WARNING: Location' || true; fi
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
