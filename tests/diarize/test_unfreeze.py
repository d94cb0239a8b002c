"""Step 1.5: Mimi's top layers as a trainable part of the model, starting from the cached output of the
last frozen layer, reproduce Mimi's own latent before training, and get their own learning rate."""
import numpy as np
import torch

from codecprobe.config import load_config
from codecprobe.adapter import study
from codecprobe.adapter.config import TrainStudyConfig
from codecprobe.extract import extract
from codecprobe.store import LatentStore
from codecprobe.train.grid import grid_frames
from tests.diarize.conversations import write_conversations
from tests.tolerance import assert_close_to_scale


def test_mimi_top_layers_from_the_cached_layer_reproduce_the_stored_latent_and_train(tmp_path):
    write_conversations(tmp_path / "conv", 2, seconds=3.0, seed=3)
    config = load_config(TrainStudyConfig, None, [
        f"train_corpus={tmp_path / 'conv'}", f"store={tmp_path / 'store'}", "val_fraction=0", "window_s=2",
        "systems=[{name: unfreeze3, unfreeze_layers: 3, inputs: [{encoder: mimi, tap: layer5, random_init: true}]}]",
        "adapter.d_model=32", "adapter.feedforward=64", "adapter.layers=1", "adapter.heads=2"])
    data = study.load_data(config)
    [system] = study.build_systems(config)
    assert system.input_rate == 25.0 and not system.trained_encoders
    with LatentStore(config.store) as store:
        study.prepare(config, data, [system], store, progress=False)
        extract(data.train.corpus, system.encoders[0], ["prequant"], store, progress=False)
        bank = study.bank_of(store, system, data.train, config.grid_rate, progress=False)
        recording = data.train.recordings[0]
        prequant = store.read(recording.id, system.sources[0].identity, "prequant")
    module = study.build_module(config, system, bank.dims)
    frames = grid_frames(recording.duration, 12.5)
    with torch.no_grad():
        rebuilt = module.mimi(torch.from_numpy(np.array(bank.frames(0)))[None])[0].numpy()
    assert_close_to_scale(rebuilt, prequant[:frames])  # stored prequant: one pass, streamed

    module.trainer_config = config.trainer
    optimizer = module.configure_optimizers()["optimizer"]
    rates = {group["name"]: group["initial_lr"] for group in optimizer.param_groups}  # before the warm-up
    assert rates == {"adapter": 1e-3, "adapter/no-decay": 1e-3, "mimi": 1e-5, "mimi/no-decay": 1e-5}
    windows = study.windows_of(config, bank, data.train, config.step_frames, 2)
    item = windows[0]
    assert item["features"].shape == (2 * config.window_frames, 512)
    loss = module.loss(module(item["features"][None], item["mask"][None]), item["targets"][None], item["mask"][None])
    loss.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.mimi.transformer.layers[-1].parameters())
