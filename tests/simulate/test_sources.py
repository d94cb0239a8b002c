"""The source pool: conversations give their solo stretches, labels are scoped, ids are unique."""
import numpy as np
import soundfile as sf

from codecprobe.config import load_config
from codecprobe.simulate import SimulateConfig
from codecprobe.simulate.sources import build_pool


def conversation(root, global_labels=False):
    root.mkdir(parents=True)
    sf.write(root / "talk.wav", np.zeros(16000 * 10, np.float32), 16000)
    (root / "talk.rttm").write_text("SPEAKER talk 1 0 4 <NA> <NA> A <NA> <NA>\n"
                                    "SPEAKER talk 1 3 4 <NA> <NA> B <NA> <NA>\n"
                                    "SPEAKER talk 1 8 4 <NA> <NA> A <NA> <NA>\n")  # past the 10 s of audio
    if global_labels:
        (root / "corpus.yaml").write_text("speaker_labels: global\n")
    return root


def pool_of(*corpora):
    return build_pool(load_config(SimulateConfig, None, [f"corpora={[str(c) for c in corpora]}"]))


def spans(pool):
    return {speaker: [(u.start, u.end) for u in utterances] for speaker, utterances in pool.utterances.items()}


def test_a_conversation_gives_its_solo_stretches_inside_the_audio(tmp_path):
    pool = pool_of(conversation(tmp_path / "calls"))
    assert spans(pool) == {"calls:talk:A": [(0.0, 3.0), (8.0, 10.0)], "calls:talk:B": [(4.0, 7.0)]}
    assert pool.utterances["calls:talk:B"][0].segment_id == "calls:talk:4.000-7.000"


def test_global_labels_are_kept_and_the_fingerprint_follows_the_pool(tmp_path):
    scoped = pool_of(conversation(tmp_path / "calls"))
    pool = pool_of(conversation(tmp_path / "sim", global_labels=True))
    assert sorted(spans(pool)) == ["sim:A", "sim:B"]
    assert pool.fingerprint() == pool_of(tmp_path / "sim").fingerprint() != scoped.fingerprint()
