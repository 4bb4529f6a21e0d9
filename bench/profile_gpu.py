"""Where the GPU forward time goes, and which CUDA route of the 9³ convs is faster (CUDA only).
`python bench/profile_gpu.py [--scan PATH] [--passes 5] [--amp] [--routes torch,spconv,triton:16] [--no-table]`:
for each route (`lkseg_nb.sparse.CUDA_BACKEND`: 'torch' = batched GEMMs, 'spconv' = spconv's own algorithm, Native at
9³, 'triton' = the output-stationary Triton kernel, 'triton:N' with N-row tiles instead of TRITON_BLOCK_M), the
reference-config forward on the real scan in fp32 and AMP (mean of --passes after 3 warm-ups) and the largest logit
difference from the first route (same weights); then torch.profiler's top CUDA kernels / ops for the first route. A
diagnostic beside bench section 6 (`python -m lkseg_nb.bench --only gpu`), not a benchmark row."""
import argparse, time
import torch
from torch.profiler import profile, ProfilerActivity
import lkseg_nb.sparse as S
from lkseg_nb.bench import kitti_scan, scan_batch, FULL_CROP
from lkseg_nb.model import build_model, reference_config

p = argparse.ArgumentParser(); p.add_argument('--scan', default=None); p.add_argument('--passes', type=int, default=5)
p.add_argument('--amp', action='store_true', help='profile the AMP forward (default fp32)')
p.add_argument('--routes', default='torch,spconv' + (',triton' if S.triton_available() else '')); p.add_argument('--rows', type=int, default=25)
p.add_argument('--no-table', action='store_true')
a = p.parse_args()
if not torch.cuda.is_available(): raise SystemExit('profile_gpu: no CUDA device')
scan = kitti_scan(a.scan)
if scan is None: raise SystemExit('profile_gpu: no scan (pass --scan or provide ../shared or $LKSEG_SHARED)')
dev = torch.device('cuda')
batch = {k: (v.to(dev) if torch.is_tensor(v) else v) for k, v in scan_batch(scan, *FULL_CROP).items()}
torch.manual_seed(0); model = build_model(reference_config()).to(dev).eval()
print(f"{len(batch['points']):,} points, {torch.cuda.get_device_name(0)}, torch {torch.__version__}")

def fwd(amp):
    with torch.no_grad(), torch.autocast('cuda', dtype=torch.float16, enabled=amp): return model(dict(batch))['logits']

def timed(amp):
    for _ in range(3): fwd(amp)
    torch.cuda.synchronize(); t = time.perf_counter()
    for _ in range(a.passes): fwd(amp)
    torch.cuda.synchronize(); return (time.perf_counter() - t) / a.passes * 1e3

algos, ref = a.routes.split(','), None
BM0 = S.TRITON_BLOCK_M
def use(route):
    algo, _, bm = route.partition(':')
    S.CUDA_BACKEND, S.TRITON_BLOCK_M = algo, int(bm) if bm else BM0
for algo in algos:
    use(algo)
    try:
        out = fwd(False).float(); ref = out if ref is None else ref
        print(f"route {algo:>8}: fp32 {timed(False):7.1f} ms, AMP {timed(True):7.1f} ms per scan; "
              f"max |logit - {algos[0]}| {float((out - ref).abs().max()):.2e} (logit scale {float(ref.abs().max()):.2f})", flush=True)
    except Exception as e: print(f"route {algo:>8}: FAILED {type(e).__name__}: {e}", flush=True)
if a.no_table: raise SystemExit(0)
use(algos[0])
for _ in range(3): fwd(a.amp)
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    for _ in range(a.passes): fwd(a.amp)
    torch.cuda.synchronize()
ka = prof.key_averages()
print(f"== {algos[0]}, {'AMP' if a.amp else 'fp32'}, {a.passes} passes")
print(ka.table(sort_by='cuda_time_total', row_limit=a.rows, max_name_column_width=70))
print(ka.table(sort_by='self_cpu_time_total', row_limit=12, max_name_column_width=70))
