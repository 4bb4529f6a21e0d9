"""Validation, TTA evaluation and prediction give the same result in 1, 2 and 3 gloo processes.

Val sets of 1, 2, 3 and 5 scans (fewer scans than ranks, uneven shards, empty shards), num_vote 1 and 4. One spawn per
world size; every (val set, num_vote) case runs inside that one process group. During validation and evaluation each
rank also counts the collectives it issues: DDP's forward is never called and there is exactly one all-reduce.
By default 2 processes on the 1- and 3-scan sets (an empty shard, an uneven split) and the torchrun run; with `slow` in
LKSEG_TEST_FLAGS the whole matrix (about 30 s more on 2 idle CPU cores; a tiny model on tiny simulated scans).
"""
import os, sys, pickle, tempfile, warnings
from pathlib import Path
import numpy as np
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
SLOW = 'slow' in os.environ.get('LKSEG_TEST_FLAGS', '')
SCANS = (1, 2, 3, 5) if SLOW else (1, 3)   # val (and test) scans: fewer than ranks, uneven shards
VOTES = (1, 4)
WORLDS = (2, 3) if SLOW else (2,)

pytestmark = pytest.mark.xdist_group('ddp')   # one multi-process test at a time


def _cfg(data_dir, run_dir, num_vote):
    from lkseg_nb.config import load_config
    from lkseg_nb.testing import tiny_overrides
    ov = tiny_overrides(data_dir, run_dir) + [f'dataset_params.num_vote={num_vote}', 'dataset_params.val_data_loader.batch_size=2']
    if num_vote > 1: ov += ['dataset_params.val_data_loader.rotate_aug=true', 'dataset_params.val_data_loader.flip_aug=true']
    return load_config(ROOT/'configs'/'demo-cpu.yaml', ov)


class _Count:
    "Count Python-level collectives and DDP forwards while active."
    OPS = ('all_reduce', 'broadcast', 'all_gather', 'all_gather_object', 'reduce', 'barrier', 'gather', 'scatter')
    def __enter__(self):
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        self.n, self.saved = {}, {}
        for op in self.OPS:
            f = self.saved[op] = getattr(dist, op)
            def w(*a, _f=f, _op=op, **k):
                self.n[_op] = self.n.get(_op, 0) + 1; return _f(*a, **k)
            setattr(dist, op, w)
        self.ddp_fwd = DDP.forward
        def fwd(m, *a, **k):
            self.n['ddp_forward'] = self.n.get('ddp_forward', 0) + 1; return self.ddp_fwd(m, *a, **k)
        DDP.forward = fwd
        return self
    def __exit__(self, *e):
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel as DDP
        for op, f in self.saved.items(): setattr(dist, op, f)
        DDP.forward = self.ddp_fwd


def run_cases(root, ck, out_root, device='cpu'):
    "Every case in this process (whatever the process group): {(scans, votes): (val cm, TTA result, prediction bytes)}."
    from lkseg_nb.distributed import wrap_ddp, convert_sync_batchnorm, get_world_size
    from lkseg_nb.evaluate import evaluate, load_model, split_loader
    from lkseg_nb.predict import predict
    from lkseg_nb.distributed import validate
    res, counts = {}, {}
    for k in SCANS:
        for v in VOTES:
            cfg = _cfg(Path(root)/f'sim{k}', Path(root)/'unused', v)
            nc = cfg.model_params.num_classes
            model = wrap_ddp(convert_sync_batchnorm(load_model(cfg, ck, device).train()), device)   # as in training
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                with _Count() as c: cm = validate(model, split_loader(cfg), device, nc, show=False)
                counts[(k, v, 'validate')] = c.n
                del model
                with _Count() as c: ev = evaluate(cfg, ck, device, show=False)
                counts[(k, v, 'evaluate')] = c.n
                out = Path(out_root)/f'w{get_world_size()}_s{k}_v{v}'
                pr = predict(cfg, ck, out, device, show=False)
            files = {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob('*.label'))}
            res[(k, v)] = dict(val=cm.numpy(), confusion=ev['confusion'], confusion_zero=ev['confusion_zero'],
                               counts=(ev['scans'], ev['points'], ev['out_of_crop']), pred_scans=pr['scans'],
                               pred_out=pr['out_of_crop'], files=files, zip=Path(pr['zip']).exists())
    return res, counts


def _worker(local_rank, nprocs, root, ck, out_root, result_path):
    from lkseg_nb.distributed import init_distributed, orderly_exit
    torch.set_num_threads(1)
    rank, world, device = init_distributed(local_rank, nprocs, backend='gloo', timeout_s=300)
    with orderly_exit():
        res, counts = run_cases(root, ck, out_root)
        with open(f'{result_path}.rank{rank}', 'wb') as f: pickle.dump((res, counts), f)


@pytest.fixture(scope='module')
def setup():
    from lkseg_nb.synth import write_dataset
    from lkseg_nb.train import main as train_main
    from lkseg_nb.testing import tiny_overrides
    d = Path(tempfile.mkdtemp(prefix='lkseg_ddp_consistency_'))
    for k in SCANS:
        write_dataset(d/f'sim{k}', seed=10 + k, n_train=2 if k == SCANS[0] else 0, n_val=k, n_test=k, beams=16, cols=256, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        train_main(['--config', str(ROOT/'configs'/'demo-cpu.yaml'), '--cpu', '--fresh', '--run-dir', str(d/'run'),
                    *tiny_overrides(d/f'sim{SCANS[0]}', d/'run'), 'train_params.max_num_epochs=1'])
    ref, _ = run_cases(d, d/'run'/'best.pt', d/'pred')
    return d, ref


@pytest.mark.parametrize('world', WORLDS)
def test_same_result_as_one_process(setup, world):
    from lkseg_nb.distributed import launch, importable
    d, ref = setup
    launch(_worker, world, args=(str(d), str(d/'run'/'best.pt'), str(d/'pred'), str(d/f'res{world}')))
    for r in range(world):
        with open(d/f'res{world}.rank{r}', 'rb') as f: got, counts = pickle.load(f)
        for key, want in ref.items():
            g = got[key]
            for name in ('val', 'confusion', 'confusion_zero'): np.testing.assert_array_equal(g[name], want[name], err_msg=f'{key} {name} rank {r}')
            assert g['counts'] == want['counts'] and g['pred_scans'] == want['pred_scans'] and g['pred_out'] == want['pred_out'], (key, r)
            assert want['val'].sum() > 0 and want['counts'][0] == key[0]
            if r == 0:   # the files are shared: compare them once
                assert g['files'].keys() == want['files'].keys() and len(g['files']) == key[0], (key, sorted(g['files']))
                assert all(g['files'][p] == want['files'][p] for p in want['files']), key
                assert g['zip']
        for (k, v, what), n in counts.items():   # no collective per batch: DDP's forward never runs, one all-reduce
            assert n.get('ddp_forward', 0) == 0 and n.get('broadcast', 0) == 0, (k, v, what, n)
            assert n.get('all_reduce', 0) == 1, (k, v, what, n)


def test_torchrun_evaluate(setup):
    "`torchrun --nproc_per_node 2 -m lkseg_nb.evaluate --cpu` prints the one-process mIoU (3 val scans, num_vote 4)."
    import subprocess
    from lkseg_nb.distributed import find_free_port
    from lkseg_nb.metrics import per_class_iou, mean_iou
    from lkseg_nb.testing import tiny_overrides
    d, ref = setup
    want = f"val mIoU {100 * mean_iou(per_class_iou(torch.as_tensor(ref[(3, 4)]['confusion']))):.2f}"
    ov = tiny_overrides(d/'sim3', d/'unused') + ['dataset_params.num_vote=4', 'dataset_params.val_data_loader.batch_size=2',
                                                 'dataset_params.val_data_loader.rotate_aug=true', 'dataset_params.val_data_loader.flip_aug=true']
    env = {k: v for k, v in os.environ.items() if k not in ('RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')}
    env['PYTHONPATH'] = os.pathsep.join([str(ROOT)] + ([env['PYTHONPATH']] if env.get('PYTHONPATH') else []))
    r = subprocess.run([sys.executable, '-m', 'torch.distributed.run', '--nnodes', '1', '--nproc_per_node', '2',
                        '--master_addr', '127.0.0.1', '--master_port', str(find_free_port()), '-m', 'lkseg_nb.evaluate',
                        '--config', str(ROOT/'configs'/'demo-cpu.yaml'), '--cpu', '--checkpoint', str(d/'run'/'best.pt'), *ov],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-3000:]
    assert want in r.stdout and '2 process(es)' in r.stdout, (want, r.stdout[-2000:])
    assert r.stdout.count('val mIoU') == 1, r.stdout[-2000:]   # printed by rank 0 only
