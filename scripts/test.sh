#!/usr/bin/env bash
# README command 2: install what the tests need and run every test: all notebooks (through nbdev's own test
# runner, one pytest case per notebook) and the pytest suite in tests/. Ends with pytest's summary line.
# LKSEG_TEST_FLAGS="slow" also runs cells flagged #| slow (flags: slow cuda multigpu).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/env.sh" "[dev]"
cd "$ROOT"
exec python -m pytest tests -n "${LKSEG_TEST_JOBS:-2}" --dist loadgroup -p no:cacheprovider -rs "$@"
