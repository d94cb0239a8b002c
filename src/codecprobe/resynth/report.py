"""``render(result) -> Report`` for the resynthesis study; formats, computes nothing."""
from __future__ import annotations

from codecprobe.report.model import Bullets, Report, Section, Table


def _interval(low, high) -> str:
    return "" if low is None else f"[{low:.2f}, {high:.2f}]"


def _eer(row: dict, key: str) -> str:
    if row.get(key) is None:
        return ""
    interval = row.get(f"{key}_interval")
    return f"{row[key]:.2f}" + (f" [{interval[0]:.2f}, {interval[1]:.2f}]" if interval else "")


def table(result) -> Table:
    """One row per verifier and condition: similarity (mean [interval]) and the EERs in %."""
    rows = []
    for row in result.rows:
        similarity = ("" if row.get("similarity") is None else
                      f"{row['similarity']:.3f} [{row['similarity_low']:.3f}, {row['similarity_high']:.3f}]")
        rows.append([row["verifier"], "original" if row["kbps"] is None else f"{row['kbps']:g}",
                     "" if row["n_codebooks"] is None else row["n_codebooks"], similarity,
                     _eer(row, "eer"), _eer(row, "eer_original_enrol")])
    return Table(["verifier", "kbps", "codebooks", "similarity to original", "EER % (both resynth.)",
                  "EER % (original enrol)"], rows)


def summary_line(result) -> str:
    parts = [f"{r['verifier']} {r['kbps']:g} kbps: sim {r['similarity']:.3f}, EER {r['eer']:.2f} %"
             for r in result.rows if r["kbps"] is not None]
    reference = [f"{r['verifier']} original: EER {r['eer']:.2f} %" for r in result.rows if r["kbps"] is None]
    # the weights label says UNTRAINED control where the codec is one (random init)
    return f"{result.codec['encoder']} [{result.codec['weights']}]: " + "; ".join(reference + parts)


def render(result) -> Report:
    from codecprobe.config import config_to_dict

    codec, data, timing = result.codec, result.data, result.timing
    confidence = round(100 * result.config.confidence)
    about = [Bullets([
        f"codec: {codec['encoder']}, weights {codec['weights']}; {codec['kbps_per_codebook']:g} kbps per codebook, "
        f"decoded with the first n codebooks",
        f"corpus: {data['corpus']}: {data['segments']} segments ({data['seconds'] / 60:.1f} min) of "
        f"{data['speakers']} speakers; {data['trials']} trials ({data['target_trials']} same-speaker): "
        f"{data['trials_source']}",
        "verifiers (trained, cosine scoring): " + ", ".join(f"{k} ({v})" for k, v in result.verifiers.items()),
        f"CPU seconds: {', '.join(f'{k} {v:g}' for k, v in timing['cpu_s'].items())}; segments decoded now "
        f"{timing['decoded_now']}, from the cache {timing['from_cache']}",
    ])]
    sections = [Section("Speaker similarity and EER on resynthesised audio", [
        table(result),
        Bullets([
            f"similarity: cosine of the verifier's embeddings of an utterance before and after the codec, mean "
            f"over utterances with its {confidence} % t interval (1 = the speaker fully kept, as judged by the "
            "verifier)",
            "EER (both resynth.): the trials with enrolment and test both resynthesised (Codec-SUPERB's speaker "
            "track); EER (original enrol): original enrolment against resynthesised test; the 'original' row is "
            f"the same trials on the original audio. EER intervals: {confidence} % bootstrap over speakers "
            f"({result.config.bootstrap_replicates} replicates)",
        ]),
    ])]
    if result.failures:
        sections.append(Section("Left out", [Bullets([f"{s}: {reason}" for s, reason in result.failures])]))
    control = "" if codec["trained"] else " (UNTRAINED control)"
    return Report(f"Resynthesis: {codec['encoder']}{control}", about, sections, config_to_dict(result.config),
                  result.provenance)
