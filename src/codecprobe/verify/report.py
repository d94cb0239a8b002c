"""The reports of a verify / diagnose study, rendered from their saved results.

Each figure carries its bootstrap interval over speakers; the verdicts (drawn by the
study, :mod:`codecprobe.verify.results`) are shown beside the thresholds they use, stated
in plain words for the encoder and tap under study.
"""
from __future__ import annotations

from codecprobe.report.model import Bullets, Figure, Footnoted, Report, Section, Table
from codecprobe.verify.results import DiagnoseRecord, DiagnoseResult, SpeakerSpaceResult, VerifyRecord, VerifyResult

__all__ = ["DiagnoseResult", "VerifyResult", "render_diagnose", "render_verify"]


def render_verify(result: VerifyResult) -> Report:
    config = result.config
    p_targets = list(config.dcf.p_targets)
    headers = ["role", "weights", "tap", "back-end", "EER %", _interval_header(config),
               *[f"{kind}DCF {p:g}" for p in p_targets for kind in ("min", "act")], "Cllr", "min Cllr",
               "mean same", "mean diff", "gap", "score range", "probe train acc", "verdict", "vs control"]
    rows = [[r.role, _weights_cell(result, r), r.tap, r.backend, _mean_std(r.eer, r.eer_std),
             _interval(r.eer_interval, "{:.1f}-{:.1f}"),
             *[_number(values and values[str(p)], "{:.4f}") for p in p_targets for values in (r.min_dcf, r.act_dcf)],
             _number(r.cllr, "{:.3f}"), _number(r.min_cllr, "{:.3f}"),
             f"{r.mean_pos:.3f}", f"{r.mean_neg:.3f}", f"{r.gap:.3f}", f"[{r.score_min:.3f}, {r.score_max:.3f}]",
             "" if r.training_accuracy is None else f"{100 * r.training_accuracy:.1f}%",
             r.verdict, r.against_control or ""] for r in result.results]
    first = result.results[0]
    headline = (f"**{first.encoder}:{first.tap}, {first.backend}: EER {first.eer:.2f}%**"
                f"{_interval(first.eer_interval, ' ({:.1f}-{:.1f}%)')}: {first.verdict}")
    if first.against_control:
        headline += f"; {first.against_control}"
    return _report(result, f"Speaker verification: {_names(result)} on {result.data.corpus_name}",
                   [Section(None, [headline, *_properties(result), *_side_by_side(result)]),
                    Section("Every row", [Table(headers, rows), _calibration_note(result)]),
                    *_paired_section(result.results, config), *_tap_weights_section(result.results),
                    _thresholds_section(result, verify=True)])


def _side_by_side(result: VerifyResult) -> list:
    """The one table across encoders: a row per encoder (and ceiling), tap and back-end, its control beside it."""
    config = result.config
    p = config.dcf.p_targets[0]
    with_kbps = any(e.kbps for e in result.encoders)
    headers = ["role", "weights", "tap", *(["kbps"] if with_kbps else []), "back-end", "EER %",
               _interval_header(config), f"minDCF {p:g}", "control EER %", "EER - control", "verdict"]
    rows = [[r.role, _weights_cell(result, r), r.tap,
             *([_number(result.entry(r.encoder).kbps.get(r.tap), "{:g}", "")] if with_kbps else []), r.backend,
             _mean_std(r.eer, r.eer_std), _interval(r.eer_interval, "{:.1f}-{:.1f}"),
             _mean_std(r.min_dcf[str(p)], r.min_dcf_std and r.min_dcf_std[str(p)], "{:.4f}"),
             "" if r.control_eer is None else _mean_std(r.control_eer, r.control_eer_std),
             "" if r.control_eer is None else f"{r.eer - r.control_eer:+.2f}", r.verdict]
            for r in result.results if r.role != "control"]
    seeded = [r for r in result.results if len(r.eer_seeds) > 1]
    notes = ["Each encoder's rows (role encoder) with its untrained control's EER beside them (same tap and "
             "back-end; EER - control below zero: training helps); role ceiling: a dedicated speaker encoder, the "
             "reference a codec's latents are read against. kbps: the bitrate of a quantizer tap."]
    if seeded:
        notes.append(f"Seeded back-ends ({', '.join(sorted({r.backend for r in seeded}))}) were fitted "
                     f"{len(seeded[0].eer_seeds)} times (seeds {config.backend_seed}.."
                     f"{config.backend_seed + len(seeded[0].eer_seeds) - 1}): EER and minDCF are the mean ± sample "
                     "standard deviation over the seeds; the interval, actDCF, Cllr, score statistics, paired tests "
                     "and plots are the first seed's.")
    return [Table(headers, rows), " ".join(notes)]


def _calibration_note(result: VerifyResult) -> str:
    config = result.config
    return (f"minDCF and min Cllr (after the best monotone recalibration) need no calibration. actDCF (Bayes decisions "
            f"at threshold log(c_fa (1 - p) / (c_miss p)), c_miss {config.dcf.c_miss:g}, c_fa {config.dcf.c_fa:g}) and "
            "Cllr judge each back-end's scores as log-likelihood ratios once calibrated by logistic regression "
            f"(prior {config.calibration.prior:g}) on up to {config.calibration.max_trials_per_class} same- and as many "
            "different-speaker trials among the training speakers (n/a without them). A back-end fitted on those "
            "speakers separates them better than unseen ones, so its calibration is over-confident on the trials: "
            "there actDCF and Cllr err on the pessimistic side.")


def _paired_section(records: list[VerifyRecord], config) -> list[Section]:
    """The paired bootstrap tests: each back-end against the first, the encoder against its control."""
    rows = [[f"{r.encoder} {r.role} {r.tap} {r.backend}", " ".join(t.against.values()), f"{t.eer_difference:+.2f}",
             _interval(t.interval, "{:+.1f} to {:+.1f}"), _number(t.p_value, "{:.3f}")]
            for r in records for t in r.paired_tests]
    if not rows:
        return []
    return [Section("Paired tests", [
        f"EER of the row minus EER of what it is compared with, on the same trials; {_confidence(config)} "
        f"interval and two-sided p-value by paired bootstrap over speakers ({config.bootstrap.replicates} "
        "replicates, each drawn once for both systems; none below 3 speakers).",
        Table(["row", "against", "EER difference (points)", _interval_header(config), "p"], rows)])]


def _tap_weights_section(records: list[VerifyRecord]) -> list[Section]:
    """The weighted sum's learned weight of each tap (softmax, summing to 1)."""
    weighted = [r for r in records if r.training is not None and r.training.layer_weights]
    if not weighted:
        return []
    taps = list(dict.fromkeys(tap for r in weighted for tap in r.training.layer_weights))
    return [Section("Learned tap weights (weighted-sum)", [Table(
        ["encoder", "role", *taps, "loss first -> last epoch"],
        [[r.encoder, r.role, *[_number(r.training.layer_weights.get(t), "{:.3f}", "") for t in taps],
          f"{r.training.first_loss:.3f} -> {r.training.last_loss:.3f}"] for r in weighted])])]


def render_diagnose(result: DiagnoseResult) -> Report:
    config, thresholds = result.config, result.config.thresholds

    def fmt(record: DiagnoseRecord, key: str, flag: bool = False) -> str:
        value = getattr(record, key)
        if value is None:
            return "n/a"
        text = f"{value:.3f}" + _interval(record.intervals.get(key), " [{:.2f}, {:.2f}]")
        return text + " (degenerate space)" if flag and record.degenerate else text

    headers = ["role", "weights", "tap", "back-end", "acoustics", "intra-voice", "inter-voice", "separability",
               "consistency", "different speakers", "Fisher mean", "Fisher max", "dims 90%", "dims 95%",
               "participation ratio"]
    rows = [[r.role, _weights_cell(result, r), r.tap, r.backend,
             fmt(r, "acoustics_score"), fmt(r, "intra_voice"), fmt(r, "inter_voice"), fmt(r, "separability", True),
             fmt(r, "consistency"), fmt(r, "different_speaker_similarity"), fmt(r, "fisher_mean", True),
             fmt(r, "fisher_max", True), r.dims_90, r.dims_95, fmt(r, "participation_ratio")] for r in result.results]
    first = result.results[0]
    legend_text = (
        "acoustics = intra-voice (same speaker, different text) minus inter-voice (same text, different "
        "speakers) cosine; separability = mean distance between speaker centroids / mean distance to the own "
        "centroid; consistency = mean same-speaker cosine, beside the mean different-speaker cosine; Fisher = "
        "per-channel between/within speaker variance; "
        f"diagnostics over {first.n_segments} evaluation segments of {first.n_speakers} speakers; brackets: "
        f"{_confidence(config)} intervals by bootstrap over speakers.")
    verdicts = Table(["role", "weights", "tap", "back-end", f"acoustics > {thresholds.acoustics_score:g}",
                      f"separability > {thresholds.separability:g}", f"consistency > {thresholds.consistency:g}"],
                     [[r.role, _weights_cell(result, r), r.tap, r.backend, *r.verdicts.values()]
                      for r in result.results])
    degenerate = [r for r in result.results if r.degenerate]
    blocks = [verdicts]
    if degenerate:
        blocks.append(_degenerate_note(degenerate, thresholds.min_participation_ratio))
    return _report(result, f"Speaker-space diagnostics: {_names(result)} on {result.data.corpus_name}",
                   [Section(None, [*_properties(result), legend_text, Table(headers, rows)]),
                    Section("Verdicts", blocks),
                    _thresholds_section(result, verify=False)])


def _degenerate_note(records: list[DiagnoseRecord], limit: float) -> str:
    """Why separability and Fisher say one thing and the EER another on a degenerate space (issue 18 item 6)."""
    which = "; ".join(f"{r.role} {r.encoder}:{r.tap} {r.backend} (participation ratio {r.participation_ratio:.2f})"
                      for r in records)
    return (f"**Degenerate space** in {which}: below {limit:g}, the variance lies almost all on one direction. "
            "Separability and the Fisher ratios then measure how far apart speakers sit along that one direction "
            "(often level or recording conditions, which a corpus with one session per speaker ties to the "
            "speaker), so they can be high while the EER, which compares whole embeddings by cosine, stays poor. "
            "They are flagged in the table and carry no verdict; the EER (codecprobe verify) is the reading to "
            "trust here.")


# -- shared pieces ------------------------------------------------------------------------
def _weights_cell(result: SpeakerSpaceResult, row) -> Footnoted:
    """A row's weights in a few words, the full line (weights id, how a control was made) once as a footnote."""
    record = result.weights(row.encoder, row.role)
    return Footnoted(record.short_label, record.description)


def _names(result: SpeakerSpaceResult) -> str:
    """The encoders under study (the ceilings left out), for a title."""
    return ", ".join(e.encoder.encoder for e in result.encoders if e.kind == "encoder")


def _report(result: SpeakerSpaceResult, title: str, sections: list[Section]) -> Report:
    sections.append(Section(None, [Figure(name, name.rsplit(".", 1)[0]) for name in result.figures]))
    if result.failures:
        sections.append(Section(f"Inputs left out ({len(result.failures)})",
                                [Table(["input", "reason"], [[f.input, f.reason] for f in result.failures])]))
    return Report(title, [Bullets(_about(result))], sections, _config_dict(result), result.provenance)


def _properties(result: SpeakerSpaceResult) -> list:
    """What the corpus does to the numbers (sessions, too few speakers), said before them (issue 18 item 11)."""
    properties = result.data.properties
    if properties is None or not properties.notes:
        return []
    return ["**Read these numbers with the corpus in mind:**", Bullets(properties.notes)]


def _config_dict(result: SpeakerSpaceResult) -> dict:
    from codecprobe.config import config_to_dict

    return config_to_dict(result.config)


def _about(result: SpeakerSpaceResult) -> list[str]:
    data = result.data
    lines = []
    for entry in result.encoders:
        prefix = f"{entry.encoder.encoder} " if len(result.encoders) > 1 else ""
        lines += [f"{prefix}{role}: {record.description}" for role, record in entry.roles]
        lines.append(f"{prefix}control: {entry.control_note}")
        lines.append(f"{prefix}preprocessing: {entry.preprocessing}")
    lines.append(f"evaluation: {data.eval_segments} segments of {data.eval_speakers} speakers "
                 f"({data.corpus_name}, layout {data.layout})")
    if data.trials is not None:
        lines.append(f"trials: {data.n_trials} ({data.n_target} same-speaker), {data.trials}")
    lines.append(f"disjointness: {data.split}; {data.train_segments} segments of {data.train_speakers} speakers")
    lines.append(f"pooling: {result.config.pooling}" + (" over Silero-VAD speech frames" if result.config.vad else ""))
    if result.failures:
        lines.append(f"**{len(result.failures)} input(s) could not be read or encoded and are left out** "
                     "(listed at the end)")
    return lines


def _thresholds_section(result: SpeakerSpaceResult, verify: bool) -> Section:
    """The thresholds in plain words for the encoder under study (those of this study first)."""
    words = result.thresholds_in_words
    ours, others = (words[:4], words[4:8]) if verify else (words[4:8], words[:4])
    return Section(f"What the verdicts mean for {result.subject}",
                   [Bullets(ours + words[8:]), "The other thresholds of the original Mimi study, for comparison:",
                    Bullets(others)])


def _confidence(config) -> str:
    return f"{100 * config.bootstrap.confidence:g}%"


def _interval_header(config) -> str:
    return f"{_confidence(config)} interval"


def _number(value: float | None, template: str, missing: str = "n/a") -> str:
    return missing if value is None else template.format(value)


def _mean_std(mean: float, std: float | None, template: str = "{:.2f}") -> str:
    """A value, with ``± std`` where it is a mean over seeds."""
    return template.format(mean) + ("" if std is None else " ± " + template.format(std))


def _interval(interval: list[float] | None, template: str) -> str:
    return "" if interval is None else template.format(*interval)
