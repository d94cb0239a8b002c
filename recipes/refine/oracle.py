"""The ceiling of boundary refinement on a system's output: DER and boundary MAE if every boundary
that ``codecprobe refine`` can match (within ``--max-offset`` s, as ``codecprobe boundaries`` matches)
were moved exactly onto its reference boundary, with the bounds a refiner's moves get
(``codecprobe.refine.apply``). Scored as the refine study scores: each recording whole, pooled.

Usage: python recipes/refine/oracle.py CORPUS HYPOTHESES_DIR [--layout rttm] [--max-offset 1.0]
"""
import argparse

import numpy as np

from codecprobe.data.rttm import read_rttms
from codecprobe.refine.apply import bounded_times, refined_turns
from codecprobe.refine.examples import make_hypothesis
from codecprobe.score import score
from codecprobe.train.conversations import load_conversations

parser = argparse.ArgumentParser()
parser.add_argument("corpus")
parser.add_argument("hypotheses")
parser.add_argument("--layout", default=None)
parser.add_argument("--max-offset", type=float, default=1.0)
args = parser.parse_args()

conversations = load_conversations(args.corpus, args.layout)
system = read_rttms([args.hypotheses])
reference, unrefined, oracle, uem, errors = {}, {}, {}, {}, []
for recording in conversations.recordings:
    if recording.id not in system:
        continue
    h = make_hypothesis(recording.id, recording.id, recording.duration, system[recording.id],
                        conversations.reference(recording.id), args.max_offset)
    times = h.boundary_times
    targets = np.nan_to_num(h.matched_time - times)  # unmatched boundaries stay
    matched = ~np.isnan(h.matched_time)
    errors.append((bounded_times(h.turns, targets, h.duration) - h.matched_time)[matched])
    reference[h.name], uem[h.name] = h.reference, np.array([[0.0, h.duration]])
    unrefined[h.name] = refined_turns(h.turns, np.zeros(len(times)), h.duration, h.name)
    oracle[h.name] = refined_turns(h.turns, targets, h.duration, h.name)
errors = np.abs(np.concatenate(errors))
print(f"{len(errors)} matched boundaries; oracle boundary MAE {errors.mean() * 1000:.0f} ms")
for collar in (0.0, 0.25):
    before = score(reference, unrefined, uem, collar=collar, jer=False, clustering=False).overall.der
    after = score(reference, oracle, uem, collar=collar, jer=False, clustering=False).overall.der
    print(f"collar {collar}: DER unrefined {before.der:.2f} %, every matched boundary on its reference {after.der:.2f} %")
