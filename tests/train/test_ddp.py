"""Two DDP processes (CPU, gloo) train the adapter to the same parameters as one process with the
same global batch: each process takes its half of every global batch and DDP averages the gradients.

The training runs in a script of its own, as a user's would: Lightning's ``ddp`` launcher starts
the second process by running the script again.
"""
import subprocess
import sys
import textwrap

import torch

from tests.conftest import REPO_ROOT

SCRIPT = textwrap.dedent('''
    import sys
    import lightning as L
    import torch
    from torch.utils.data import Dataset
    from codecprobe.adapter.module import DiarizationModule
    from codecprobe.train import TrainerConfig, WindowDataModule, fit

    class Windows(Dataset):
        def __init__(self):
            g = torch.Generator().manual_seed(0)
            self.features = torch.randn(48, 20, 6, generator=g)
            self.targets = (torch.rand(48, 20, 2, generator=g) > 0.5).float()
        def __len__(self):
            return len(self.features)
        def __getitem__(self, i):
            return {"features": self.features[i], "targets": self.targets[i], "mask": torch.ones(20, dtype=torch.bool)}

    devices, out = int(sys.argv[1]), sys.argv[2]
    config = TrainerConfig(max_steps=6, batch_size=8, devices=devices, strategy="ddp" if devices > 1 else "auto",
                           accelerator="cpu", warmup_steps=2, checkpoint_every_steps=100, progress=False)
    L.seed_everything(0, verbose=False)
    adapter = dict(d_model=16, layers=1, heads=2, feedforward=32, dropout=0.0, speakers=2, head="sigmoid",
                   max_active=2, loss="hybrid", sort_weight=0.5, pit_weight=0.5, threshold=0.5)
    module = DiarizationModule(adapter, [{"dim": 6, "trained": True}], {"rate": 12.5, "input_rate": 12.5,
                                                                         "window_frames": 20})
    result = fit(module, WindowDataModule(Windows(), None, config.batch_size), config, out)
    if result.is_global_zero:
        torch.save(module.state_dict(), out + "/final.pt")
''')


def train(tmp_path, devices):
    script = tmp_path / "train_ddp.py"
    script.write_text(SCRIPT)
    out = tmp_path / f"devices{devices}"
    env = {"PYTHONPATH": f"{REPO_ROOT / 'src'}:{REPO_ROOT}", "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(script), str(devices), str(out)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return torch.load(out / "final.pt")


def test_two_processes_train_to_the_parameters_of_one(tmp_path):
    one = train(tmp_path, 1)
    two = train(tmp_path, 2)
    assert one.keys() == two.keys()
    # Tolerance: float rounding of the gradient all-reduce, amplified by Adam (which scales each update
    # to about the learning rate, 1e-3, whatever the gradient's size) over 6 steps; measured 4.1e-5.
    # A run that sees other windows in a step (one process with a global batch of 4) is 3.8e-3 away.
    worst = max((one[k] - two[k]).abs().max().item() for k in one)
    assert worst < 2e-4, worst
