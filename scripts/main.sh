#!/usr/bin/env bash
# README command 1: set up the environment and run the main job on the embedded default data.
# Extra arguments go to `python -m lkseg_nb.main` (see `--help`).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh" ""
cd "$ROOT"
exec python -m lkseg_nb.main "$@"
