#!/usr/bin/env bash
# GPU checks, run on a CUDA machine from the repository root (this workplace's lent device: `run` with carry ['.gpu']).
#   1. bench section 6: reference-config forward ms/scan and training step fp32 / AMP on the real scan (`--only gpu`);
#   2. every notebook that holds `#| cuda` cells, with LKSEG_TEST_FLAGS=cuda, through the same pytest shim as
#      README command 2 (tests/test_notebooks.py).
# The machine there has torch but no spconv and no registry: `.gpu/site.tar.xz` (made by scripts/device_pack.sh) holds
# spconv-cu126, cumm and the pure-Python test dependencies; `.gpu/shared` holds the real scan (../shared does not travel).
# Logs and the bench JSON go to $OUT (default ./gpu_out). Env: STEPS (default "bench tests": run fewer to fit
# one call's time limit), BENCH_T / TEST_T (seconds per step), NBS (notebook stems).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"; cd "$ROOT"
OUT="${OUT:-$ROOT/gpu_out}"; mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PY="${PY:-python3}"
if ! $PY -c 'import spconv, nbdev' 2>/dev/null && [ -f .gpu/site.tar.xz ]; then   # only where they are missing
  [ -d /tmp/site ] || tar xJf .gpu/site.tar.xz -C /tmp || exit 3
  export PYTHONPATH="/tmp/site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
fi
[ -d .gpu/shared ] && export LKSEG_SHARED="$ROOT/.gpu/shared"
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; nproc
  $PY -c "import torch, spconv, lkseg_nb.bench as b; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0)); print('spconv', spconv.__version__, 'scan', b.kitti_scan())"
} 2>&1 | tee "$OUT/env.log"
STEPS="${STEPS:-bench tests}"; has() { case " $STEPS " in *" $1 "*) return 0;; esac; return 1; }
if has bench; then
echo "== bench --only gpu"
timeout "${BENCH_T:-240}" $PY -m lkseg_nb.bench --only gpu --out "$OUT" 2>&1 | tee "$OUT/bench.log"
fi
has tests || exit 0
echo "== notebooks with #| cuda cells (LKSEG_TEST_FLAGS=cuda)"
NBS="${NBS:-05_transforms 07d_sparse 08_model 15_distributed 16_train 17_evaluate 18_predict 21_multigpu 23_bench}"
K=$(echo $NBS | sed 's/ / or /g'); N=$(echo $NBS | wc -w)
LKSEG_TEST_FLAGS=cuda LKSEG_NB_TIMEOUT="${LKSEG_NB_TIMEOUT:-250}" OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}" timeout "${TEST_T:-360}" \
  $PY -m pytest tests/test_notebooks.py -k "$K" -n "$N" -p no:cacheprovider -rs -v 2>&1 | tee "$OUT/tests.log"
