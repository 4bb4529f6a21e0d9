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
# System libraries from Debian: Open3D needs libusb-1.0-0; the tests' headless views and browser check need
# xvfb/xauth, chromium + chromium-driver, and fonts-noto-cjk (without a CJK font the 中文 tabs render as empty boxes).
# Installed when missing and we may (root with apt-get); otherwise say what is missing.
SYS_PKGS="libusb-1.0-0"
[ "$EXTRAS" = "[dev]" ] && SYS_PKGS="$SYS_PKGS xvfb xauth chromium chromium-driver fonts-noto-cjk"
missing=$(for p in $SYS_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[env] apt-get install" $missing
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null) || echo "[env] warning: could not install $missing"
  else
    echo "[env] note: missing Debian packages:" $missing "(Open3D pictures fall back to matplotlib; browser tests skip; Chinese glyph test skips)"
  fi
fi
stamp="$VENV/.lkseg-installed$EXTRAS"
if [ ! -f "$stamp" ] || [ "$ROOT/settings.ini" -nt "$stamp" ] || [ "$ROOT/setup.py" -nt "$stamp" ]; then
  echo "[env] installing ${LKSEG_TORCH:-torch==2.13.0} first, then lkseg_nb${EXTRAS}"
  $PIP install ${LKSEG_TORCH:-torch==2.13.0} 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -W ignore -c 'import torch' || { echo "[env] torch failed to install"; exit 1; }
  $PIP install -e "$ROOT$EXTRAS" 2>&1 | grep -v '^WARNING: Location' || true
  "$VENV/bin/python" -c 'import lkseg_nb' || { echo "[env] lkseg_nb failed to install"; exit 1; }
  if [ -n "${LKSEG_SPCONV:-}" ]; then   # a GPU spconv replaces the CPU wheel: never two spconv wheels at once
    $PIP uninstall -y spconv >/dev/null 2>&1 || true
    $PIP install "$LKSEG_SPCONV" 2>&1 | grep -v '^WARNING: Location' || true
  fi
  touch "$stamp"
fi
export PATH="$VENV/bin:$PATH"
# OpenMP threads that sleep instead of spinning between torch ops. With the default (active) policy, torch's idle
# OpenMP workers spin and compete with the sparse conv's own worker threads and with any other process: on this
# 2-core machine under a load of ~5 one demo training step took 19-26 s and 10-13 s of CPU, with PASSIVE 2.2-3.4 s
# and 1.1-1.7 s of CPU (6 steps each, measured back to back). Set OMP_WAIT_POLICY yourself to override.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
