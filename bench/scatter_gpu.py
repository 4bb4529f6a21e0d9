"""The accumulation step of the batched-GEMM CUDA route, alone (CUDA only): one 9³ SubM layer's pairs on the real scan
(0.05 m, 64 channels), bucket products scattered into the output with `index_add_` (what the route uses), `index_put_`
with accumulate=True, `scatter_add_`, and `index_add_` with the padding spread over 4096 dummy rows instead of the one
row the route points every pad at (a hypothesis: ~29 % of the padded rows then add zeros into one address);
ms per layer (median of 10), max difference on the real rows. `python bench/scatter_gpu.py [--scan PATH]`.
A lead for the next step (the profile put ~56 % of the route's forward time in `index_add_`), not a benchmark row."""
import argparse, statistics, time
import torch
from lkseg_nb.sparse import scan_voxels, build_subm_map, _grouped_plan, _kitti_scan

p = argparse.ArgumentParser(); p.add_argument('--scan', default=None); p.add_argument('--voxel', type=float, default=0.05)
a = p.parse_args()
if not torch.cuda.is_available(): raise SystemExit('scatter_gpu: no CUDA device')
scan = a.scan or _kitti_scan()
if scan is None: raise SystemExit('scatter_gpu: no scan')
idx, shape = scan_voxels(scan, a.voxel)
idx = idx.cuda()
torch.cuda.synchronize(); t = time.perf_counter(); km = build_subm_map(idx, shape, 9); torch.cuda.synchronize()
print(f"{km.n_in:,} voxels, {km.n_pairs:,} pairs; map built in {(time.perf_counter() - t) * 1e3:.1f} ms")
plan = _grouped_plan(km)
x = torch.randn(km.n_in + 1, 64, device='cuda'); x[-1] = 0; w = torch.randn(729, 64, 64, device='cuda')
ys = [(torch.bmm(x[ii], w[ks]).reshape(-1, 64), oo.reshape(-1)) for ks, ii, oo in plan]
print(f"{len(plan)} buckets, {sum(len(o) for _, o in ys):,} padded rows")
D = 4096
spread = [(y, torch.where(o == km.n_out, km.n_out + torch.arange(len(o), device=o.device) % D, o)) for y, o in ys]
def run(kind):
    out = torch.zeros(km.n_out + D, 64, device='cuda')
    for y, o in (spread if kind == 'index_add_ spread' else ys):
        if kind.startswith('index_add_'): out.index_add_(0, o, y)
        elif kind == 'index_put_': out.index_put_((o,), y, accumulate=True)
        else: out.scatter_add_(0, o[:, None].expand(-1, 64), y)
    return out
ref = run('index_add_')
for kind in ('index_add_', 'index_add_ spread', 'index_put_', 'scatter_add_'):
    ts = []
    for _ in range(12):
        torch.cuda.synchronize(); t = time.perf_counter(); o = run(kind); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
    print(f"{kind:>17}: {statistics.median(ts[2:]) * 1e3:7.2f} ms per layer, max |diff| on real rows {float((o - ref)[:km.n_out].abs().max()):.2e}")
def gather():
    for ks, ii, oo in plan: x[ii]
ts = []
for _ in range(12):
    torch.cuda.synchronize(); t = time.perf_counter(); gather(); torch.cuda.synchronize(); ts.append(time.perf_counter() - t)
print(f"       gather: {statistics.median(ts[2:]) * 1e3:7.2f} ms per layer")
