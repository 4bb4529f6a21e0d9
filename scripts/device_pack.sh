#!/usr/bin/env bash
# Pack what scripts/device_check.sh needs on a CUDA machine that has Python 3.12 + torch but no registry (this
# workplace's lent device): spconv-cu126 2.3.8, cumm-cu126 0.7.11 and the pure-Python test dependencies, unpacked for
# cp312 and xz-compressed into .gpu/site.tar.xz (~60 MB: the spconv wheel alone is 70 MB as a zip, over the 64 MiB a
# call may carry; xz gets its 284 MB library to ~21 MB), plus the real scan into .gpu/shared (../shared does not travel).
# .gpu/ is ignored through .git/info/exclude; name it in the call's carry. Needs pip with access to the registry.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"; cd "$ROOT"
PY="${PY:-$ROOT/.venv/bin/python}"
W="$(mktemp -d)"; trap 'rm -rf "$W"' EXIT
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || { mkdir -p .git/info; echo '/.gpu/' >> .git/info/exclude; }
PLAT="--python-version 3.12 --implementation cp --only-binary=:all: --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform any"
# what the device image lacks (its own torch, numpy, pyyaml, pytest, xdist, ... are used as they are)
PKGS="spconv-cu126==2.3.8 cumm-cu126==0.7.11 pccm==0.4.16 ccimport==0.4.4 fire==0.7.1 termcolor lark nbdev==2.4.14 fastcore==1.14.5
      execnb==0.1.18 ghapi==1.0.16 fastgit omegaconf==2.4.0 ipython==9.18.1 ipython_pygments_lexers asttokens executing pure_eval
      stack_data jedi parso matplotlib_inline pexpect ptyprocess prompt_toolkit wcwidth traitlets astunparse watchdog"
"$PY" -m pip download -q --no-deps $PLAT -d "$W/whl" $PKGS
"$PY" -m pip install -q --no-index --no-deps --no-compile --target "$W/site" $PLAT "$W"/whl/*.whl
rm -rf "$W/site/bin" "$W/site/share"
mkdir -p .gpu
tar cf - -C "$W" site | xz -T0 -8 > .gpu/site.tar.xz
S="$(cd "$ROOT/.." && pwd)/shared/data/semantickitti"
if [ -d "$S" ]; then
  rm -rf .gpu/shared; mkdir -p .gpu/shared/data
  cp -r "$S" .gpu/shared/data/ && chmod -R u+w .gpu/shared
fi
du -sh .gpu/*
