"""Regenerate the stored outputs of the 23_bench cells that render the saved runs (`bench/results/cpu-2core.json`,
`bench/results/gpu-h200.json`), with the same code as those cells, so the docs show them without running the suite.
Run after replacing a saved run: `python tools/regen_bench_outputs.py && nbdev_clean --fname nbs/23_bench.ipynb`."""
import json, io, contextlib
from lkseg_nb.bench import load_results, to_markdown, target_summary
from lkseg_nb.config import repo_root

P = repo_root()/'nbs'/'23_bench.ipynb'
nb = json.load(open(P))

def md_out(text): return [{'data': {'text/markdown': text.splitlines(keepends=True), 'text/plain': ['<IPython.core.display.Markdown object>']},
                           'execution_count': None, 'metadata': {}, 'output_type': 'execute_result'}]
def stream(text): return [{'name': 'stdout', 'output_type': 'stream', 'text': text.splitlines(keepends=True)}]

full_run = load_results(repo_root()/'bench'/'results'/'cpu-2core.json')
buf = io.StringIO()
with contextlib.redirect_stdout(buf):
    m = full_run['machine']
    print(f"machine: {m['cpu']}, {m['usable_cores']} usable cores of {m['cores']}, torch threads {m['torch_threads']}, {m['memory_gib']} GiB")
    print(f"versions: torch {m['torch']}, spconv {m['spconv']}, Python {m['python']}; git {m['git']}; {m['date']}")
    print(f"load average at start {m['load_avg_start']}, at end {m.get('load_avg_end')}; total {full_run['elapsed_s'] / 60:.1f} min")
    print(f"reproduce: {full_run['command']}")
_ts = target_summary(full_run)
ts_md = '\n'.join(['| ' + ' | '.join(_ts[0]) + ' |', '|---|---|---|---|'] + ['| ' + ' | '.join(c.replace('|', '\\|') for c in r) + ' |' for r in _ts[1:]])
outs = {'59e6650a': stream(buf.getvalue()), '614de57a': md_out(to_markdown(full_run)), 'db85b3ab': md_out(ts_md)}

gpu_path = repo_root()/'bench'/'results'/'gpu-h200.json'
if gpu_path.exists():
    gpu_run = load_results(gpu_path); m = gpu_run['machine']
    outs['e7a1c0d2'] = stream(f"{m['gpu']}, {m['cpu']} ({m['cores']} cores); torch {m['torch']}, {m['spconv']}; {m['date']}; "
                              f"reproduce: {gpu_run['command']}\n") + md_out(to_markdown(gpu_run))
for c in nb['cells']:
    if c.get('id') in outs: c['outputs'] = outs[c['id']]
json.dump(nb, open(P, 'w'), indent=1, ensure_ascii=False)
print('regenerated', sorted(outs))
