"""``open_store``: the one way commands and studies open the store, with the default written once (issue 17 item 5)."""
import dataclasses

import pytest

from codecprobe.errors import InputError
from codecprobe.store import DEFAULT_STORE, open_store


def test_no_path_opens_the_default_store_in_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_store() as store:
        assert store.writable
    assert (tmp_path / DEFAULT_STORE / "index.sqlite").is_file()


def test_existing_refuses_a_folder_without_a_store_and_creates_nothing(tmp_path):
    with pytest.raises(InputError, match="not a latent store"):
        open_store(tmp_path / "nowhere", mode="existing")
    assert not (tmp_path / "nowhere").exists()
    open_store(tmp_path / "made").close()
    with open_store(tmp_path / "made", mode="existing") as store:
        assert store.writable


@pytest.mark.parametrize("module, name", [("codecprobe.verify.config", "StudyConfig"),
                                          ("codecprobe.adapter.config", "TrainStudyConfig"),
                                          ("codecprobe.refine.config", "RefineStudyConfig"),
                                          ("codecprobe.structure.config", "StructureConfig"),
                                          ("codecprobe.nextlatent.config", "NextLatentConfig")])
def test_every_study_config_defaults_to_the_one_default(module, name):
    import importlib

    config = getattr(importlib.import_module(module), name)
    assert {f.name: f.default for f in dataclasses.fields(config)}["store"] == DEFAULT_STORE
