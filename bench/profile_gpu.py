"""Where the GPU forward time goes: torch.profiler over a few reference-config forwards on the real scan (CUDA only).
`python bench/profile_gpu.py [--scan PATH] [--passes 5] [--amp]` prints the top CUDA kernels / ops by GPU time.
A diagnostic for bench section 6 (`python -m lkseg_nb.bench --only gpu`), not a benchmark row."""
import argparse, time
import torch
from torch.profiler import profile, ProfilerActivity
from lkseg_nb.bench import kitti_scan, scan_batch, FULL_CROP, _forward
from lkseg_nb.model import build_model, reference_config

p = argparse.ArgumentParser(); p.add_argument('--scan', default=None); p.add_argument('--passes', type=int, default=5)
p.add_argument('--amp', action='store_true'); p.add_argument('--rows', type=int, default=30)
a = p.parse_args()
if not torch.cuda.is_available(): raise SystemExit('profile_gpu: no CUDA device')
scan = kitti_scan(a.scan)
if scan is None: raise SystemExit('profile_gpu: no scan (pass --scan or provide ../shared or $LKSEG_SHARED)')
dev = torch.device('cuda')
batch = {k: (v.to(dev) if torch.is_tensor(v) else v) for k, v in scan_batch(scan, *FULL_CROP).items()}
torch.manual_seed(0); model = build_model(reference_config()).to(dev)
def fwd():
    with torch.autocast('cuda', dtype=torch.float16, enabled=a.amp): _forward(model, batch)
for _ in range(3): fwd()
torch.cuda.synchronize(); t = time.perf_counter()
for _ in range(a.passes): fwd()
torch.cuda.synchronize(); print(f"forward {'AMP' if a.amp else 'fp32'}: {(time.perf_counter() - t) / a.passes * 1e3:.1f} ms/scan "
                                f"(mean of {a.passes}, {len(batch['points']):,} points)")
with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
    for _ in range(a.passes): fwd()
    torch.cuda.synchronize()
ka = prof.key_averages()
print(ka.table(sort_by='cuda_time_total', row_limit=a.rows, max_name_column_width=60))
print(ka.table(sort_by='self_cpu_time_total', row_limit=15, max_name_column_width=60))
