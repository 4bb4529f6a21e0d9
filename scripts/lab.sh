#!/usr/bin/env bash
# Open the notebooks in JupyterLab: set up .venv with the development tools (scripts/env.sh "[dev]": the notebooks
# import nbdev and compare against spconv), install JupyterLab into it when missing, and start `jupyter lab` on nbs/
# without opening a browser. Prints the URL (with its access token) to open.
#   bash scripts/lab.sh                       # http://127.0.0.1:8888/lab?token=...
#   LKSEG_LAB_PORT=9000 LKSEG_LAB_IP=0.0.0.0 bash scripts/lab.sh     # another port / reachable from other machines
#   LKSEG_LAB_TOKEN=secret bash scripts/lab.sh [extra jupyter lab options]
#   LKSEG_LAB_SETUP=0 bash scripts/lab.sh    # skip the environment setup: use the `python`/`jupyter` already on PATH
# Stop it with Ctrl-C (or kill the process).
# JupyterLab reads scripts/jupyter/labconfig/page_config.json (JUPYTER_CONFIG_PATH): Open3D pulls in dash, whose
# source extension @plotly/dash-jupyterlab would make JupyterLab ask for a rebuild ("Build Recommended") every time
# a notebook opens; the project needs no Dash in JupyterLab, so that extension is disabled and the build check off.
# Check it in a browser: python tools/check_lab.py
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ "${LKSEG_LAB_SETUP:-1}" = 0 ] || source "$ROOT/scripts/env.sh" "[dev]"
export JUPYTER_CONFIG_PATH="$ROOT/scripts/jupyter${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
if ! python -c 'import jupyterlab' 2>/dev/null; then
  echo "[lab] installing jupyterlab into $(dirname "$(dirname "$(command -v python)")")"
  python -m pip --disable-pip-version-check -q install 'jupyterlab>=4,<5' 2>&1 | grep -v '^WARNING: Location' || true
  python -c 'import jupyterlab' || { echo "[lab] jupyterlab failed to install"; exit 1; }
fi
IP="${LKSEG_LAB_IP:-127.0.0.1}"
PORT="${LKSEG_LAB_PORT:-8888}"
TOKEN="${LKSEG_LAB_TOKEN:-$(python -c 'import secrets; print(secrets.token_hex(16))')}"
ROOT_OPT=()
[ "$(id -u)" = 0 ] && ROOT_OPT=(--allow-root)
HOST="$IP"; [ "$IP" = 0.0.0.0 ] && HOST="$(hostname)"
echo "[lab] JupyterLab on $ROOT/nbs -> http://$HOST:$PORT/lab?token=$TOKEN"
cd "$ROOT"
exec jupyter lab --no-browser --ip="$IP" --port="$PORT" --ServerApp.port_retries=0 --ServerApp.root_dir="$ROOT/nbs" \
  --IdentityProvider.token="$TOKEN" "${ROOT_OPT[@]}" "$@"
