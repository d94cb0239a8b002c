"""``demo.md``, rendered from the saved ``demo.json``: a five-line summary, then the evidence."""
from __future__ import annotations

from codecprobe.demo.config import DemoResult
from codecprobe.report.model import Bullets, Figure, Report, Section, Table

__all__ = ["DemoResult", "render", "summary_lines"]

# README's figure for the sweep (issue 21: stated, not rerun)
FULL_SWEEP_TIME = "about 21 minutes (20 min 38 s wall, peak 1.6 GB, on this project's 2-core machine, 2026-11-22)"
MIMI_COMMAND = ("codecprobe verify --corpus ../shared/data/timit-sample --train-corpus "
                "../shared/data/librispeech-test-other --encoder mimi --weights MIMI_WEIGHTS --backend center cosine")
MIMI_LINES = [
    "Random-init Mimi **can** show what Mimi's architecture and the signal alone carry about speakers: the "
    "floor a trained Mimi must beat by the control margin (`codecprobe demo --full` runs it on every tap).",
    "It **cannot** show anything about Kyutai's trained Mimi (its speaker content, how it would diarize): its "
    f"weights are not reachable offline. Given them (a Hugging Face folder or a moshi checkpoint): `{MIMI_COMMAND}`.",
]


def render(result: DemoResult) -> Report:
    sections = [_identity_section(result)]
    if result.diarization:
        sections.append(_diarization_section(result.diarization))
    sections.append(Section("Random-init Mimi", [Bullets(MIMI_LINES)]))
    sections.append(_sweep_section(result))
    sections.append(Section("Names", [
        "Every corpus, set of weights and pipeline the tables name by a short label:",
        Table(["label", "what it is"], [[n["label"], n["what"]] for n in result.names])]))
    return Report("codecprobe demo", [Bullets(summary_lines(result)), f"Data: {result.data}."], sections,
                  _config_dict(result), result.provenance)


def summary_lines(result: DemoResult) -> list[str]:
    """Five lines a reader can quote: the sets, the trained codec against its control, the speaker
    encoders, the diarization, and what the demo does not show."""
    rows = result.identity["rows"]
    primary = [r for r in rows if r["backend"] == result.config.backends[0]]
    sets = {(r["eval_set"], r["eval_speakers"], r["train_set"], r["train_speakers"]) for r in rows}
    lines = ["Speaker identity: " + ("; ".join(f"{e} ({n} speakers) evaluated, back-ends fitted on {t} ({m})"
                                                for e, n, t, m in sorted(sets)) or "no encoder could run") + "."]
    codec = [r for r in primary if r["encoder"] == "lyra"]
    others = [r for r in primary if r["encoder"] != "lyra"]
    how = f"(back-end {result.config.backends[0]}, 95 % intervals)"
    lines.append(f"Trained codec {how}: " + ("; ".join(map(_eer, codec)) if codec else "Lyra v2 not run here") + ".")
    lines.append(f"Speaker encoders {how}: " + ("; ".join(map(_eer, others)) if others else "none run") + ".")
    lines.append(_diarization_line(result))
    lines.append("Not shown: trained Mimi (no weights offline; see below). `codecprobe demo --full` adds every "
                 f"encoder and tap, the per-corpus studies and a small adapter: {FULL_SWEEP_TIME}.")
    return lines


def _eer(row: dict) -> str:
    interval = row["eer_interval"]
    shown = f" [{interval[0]:.1f}, {interval[1]:.1f}]" if interval else ""
    verdict = row["verdict"].split(";")[0].split(" (")[0]
    against = f", {row['against_control']}" if row.get("against_control") else ""
    return f"{row['label']} EER {row['eer']:.1f} %{shown}: {verdict}{against}"


def _diarization_line(result: DemoResult) -> str:
    diarization = result.diarization
    if not diarization:
        return "Diarization: not run (no conversations with corpora given by hand, or no pipeline asked for)."
    systems = diarization["systems"]
    missing = [p for p in result.config.pipelines if p not in {s["name"] for s in systems}]
    notes = f"; {', '.join(missing)} could not run here (see Diarization)" if missing else ""
    if not systems:
        return f"Diarization: no pipeline could run{notes}."
    scores = "; ".join(f"{s['name']} DER {s['overall']['collar_0']['der']:.1f} %" for s in systems)
    return (f"Diarization of {len(diarization['recordings'])} conversations ({systems[0]['audio_s'] / 60:.1f} min): "
            f"{scores} (collar 0, overlap scored){notes}.")


def _identity_section(result: DemoResult) -> Section:
    identity = result.identity
    rows = identity["rows"]
    blocks: list = [
        "Each encoder at its primary utterance tap (`codecprobe verify`), every pair of evaluation utterances "
        f"a trial ({rows[0]['n_trials'] if rows else 0} trials). On `../shared/data` the evaluation set is TIMIT's sample: 16 speakers, more than the "
        f"{identity['thresholds']['min_eval_speakers']} a verdict needs (VCTK and FSDD leave 2-3 after a "
        "held-out split); the back-ends are fitted on LibriSpeech test-other, so no speaker is both fitted and "
        "evaluated. Intervals: 95 %, bootstrap over speakers. Lyra v2's control is the same network with its "
        "weights randomly permuted."]
    if identity["figure"]:
        blocks.append(Figure(identity["figure"], "speaker-verification EER per encoder and back-end"))
    blocks.append(Table(
        ["evaluated", "encoder", "tap", "back-end", "EER %", "95 % interval", "verdict"],
        [[r["eval_set"], r["label"], r["tap"], r["backend"], r["eer"], _interval(r["eer_interval"]), r["verdict"] + (f"; {r['against_control']}" if r.get("against_control") else "")]
         for r in rows], float_format="{:.1f}"))
    if identity["skipped"]:
        blocks.append(Bullets([f"skipped: {note}" for note in identity["skipped"]]))
    reports = {r["label"]: r["report"] for r in rows if r["role"] == "encoder"}
    blocks.append("Full reports (DET curves, score distributions, thresholds in words): "
                  + ", ".join(f"[{label}]({path})" for label, path in reports.items()) + ".")
    return Section("Speaker identity", blocks)


def _interval(interval: list[float] | None) -> str:
    return f"[{interval[0]:.1f}, {interval[1]:.1f}]" if interval else "n/a"


def _diarization_section(diarization: dict) -> Section:
    systems = diarization["systems"]
    blocks: list = [f"`codecprobe diarize` on {diarization['source']}, scored as md-eval scores them (overlap "
                    "scored, no UEM); percentages of scored reference speech, pooled over the recordings."]
    if diarization["notes"]:
        blocks.append(Bullets(diarization["notes"]))
    blocks.append(Table(["system", "DER c=0 %", "miss + FA %", "confusion %", "DER c=0.25 %", "JER %", "x real time"],
                        [[s["name"], s["overall"]["collar_0"]["der"],
                          s["overall"]["collar_0"]["miss"] + s["overall"]["collar_0"]["fa"],
                          s["overall"]["collar_0"]["conf"], s["overall"]["collar_0.25"]["der"],
                          s["overall"]["collar_0"].get("jer", float("nan")), s["real_time_factor"] or float("nan")]
                         for s in systems], float_format="{:.1f}"))
    blocks.append("Per recording: DER % at collar 0 (speakers found; the reference's in the second column).")
    blocks.append(Table(["recording", "speakers", *(s["name"] for s in systems)],
                        [[diarization["names"][fid], diarization["reference_speakers"][fid],
                          *(f"{s['files'][fid]:.1f} ({s['speakers'][fid]})" if fid in s["files"] else "n/a"
                            for s in systems)] for fid in diarization["recordings"]]))
    blocks += [Figure(path, f"{diarization['names'][fid]}: reference and each system")
               for fid, path in diarization["figures"].items()]
    adapter = diarization.get("adapter")
    if adapter:
        blocks.append(f"**adapter**: {adapter['what']}; a demonstration of the pipeline, not a model to judge "
                      "the approach by (docs/diarize.md has the study).")
    blocks.append("Per-system reports: " + ", ".join(f"[{s['name']}]({s['report']})" for s in systems) + ".")
    return Section("Diarization", blocks)


def _sweep_section(result: DemoResult) -> Section:
    sweep = result.sweep
    if sweep is None:
        return Section("The full sweep", [
            f"Not run. `codecprobe demo --full` adds every encoder and tap over LibriSpeech and VCTK into the store, "
            "verify + diagnose per corpus and encoder, and a small adapter trained here that diarizes beside the "
            f"pipelines: {FULL_SWEEP_TIME}."])
    return Section("The full sweep", [
        Table(["corpus", "encoder", "weights", "tap", "segments", "frames", "dim", "frame rate (Hz)", "x real time"],
              [list(tap.values()) for tap in sweep["taps"]], float_format="{:.1f}"),
        f"Store: `{result.config.out}/store` (see `codecprobe store show`).",
        study_table(sweep["speaker_studies"]),
        "Back-ends fitted on a seeded half of each corpus's speakers and evaluated on the other half: on these "
        "sets (2-5 speakers per side) the verdicts are withheld and the fitted `probe` is not meaningful. "
        "Reports: " + ", ".join(f"[{s['corpus']} {s['encoder']}]({s['report']})" for s in sweep["speaker_studies"])
        + "."])


def study_table(studies: list[dict]) -> Table:
    """One row per corpus, encoder role and back-end: EER beside the diagnostics, with the verdict."""
    from codecprobe.demo.labels import corpus_label, encoder_label

    rows = []
    for study in studies:
        for record in study["verify"]["results"]:
            diag = next((d for d in study["diagnose"].get("results", []) if d.get("role") == record["role"]
                         and d.get("backend") == record["backend"]), {})
            rows.append([corpus_label(study["corpus"]), encoder_label(record["encoder"], record["trained"],
                                                                      record["weights"]),
                         record["tap"], record["backend"], record["eer"], _interval(record["eer_interval"]),
                         diag.get("separability", float("nan")), diag.get("consistency", float("nan")),
                         record["verdict"]])
    headers = ["corpus", "encoder", "tap", "back-end", "EER %", "95 % interval", "separability", "consistency",
               "verdict"]
    return Table(headers, rows)


def _config_dict(result: DemoResult) -> dict:
    from codecprobe.config import config_to_dict

    return config_to_dict(result.config)
