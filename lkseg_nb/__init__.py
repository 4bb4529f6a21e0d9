__version__ = "0.1.0"

# Hand-maintained (nbdev does not generate this file). Before torch loads its OpenMP runtime: idle OpenMP threads
# sleep instead of spinning, so they do not compete with the sparse conv's worker threads or other processes
# (a demo training step on a busy 2-core machine: 19-26 s spinning vs 2.2-3.4 s; see scripts/env.sh and
# nbs/16_train.ipynb). Only a default: an OMP_WAIT_POLICY already set wins; no effect if torch was imported first.
import os as _os
_os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')
del _os
