"""The figures of a ``codecprobe train`` study, drawn when it runs (they need the metrics and the
window-local hypotheses); the report embeds them by name."""
from __future__ import annotations

from pathlib import Path

from codecprobe.adapter.study import StudyResult
from codecprobe.report import slug
from codecprobe.report.plots import legend, pyplot, save_figure


def draw(result: StudyResult, out: Path) -> list[str]:
    """The loss and learning curves and a few evaluation recordings; the names of the figures drawn."""
    plots = [_loss_plot(result, out / "loss.png"), _learning_plot(result, out / "learning.png")]
    plots += [_recording_plot(result, corpus, recording, out / f"recording-{slug(corpus)}-{slug(recording)}.png")
              for corpus, recording in _pictured(result)]
    return [p.name for p in plots if p is not None]


# -- plots --------------------------------------------------------------------------------
def _loss_plot(result: StudyResult, path: Path) -> Path:
    """Training and validation loss against the step, one colour per system."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    systems = {s.name: s for s in result.systems}
    for index, training in enumerate(result.trainings):
        colour = f"C{index}"
        label = training.system + ("" if systems[training.system].trained_encoders else " (UNTRAINED encoder)")
        train = [(r["step"], r["train/loss"]) for r in training.metrics if r.get("train/loss") is not None]
        val = [(r["step"], r["val/loss"]) for r in training.metrics if r.get("val/loss") is not None]
        if train:
            ax.plot(*zip(*train), color=colour, alpha=0.45, lw=1, label=f"{label}: train")
        if val:
            ax.plot(*zip(*val), color=colour, marker="o", ms=3, lw=1.5, label=f"{label}: validation")
    ax.set_xlabel("optimiser step")
    ax.set_ylabel(f"loss ({result.config.adapter.head}, {result.config.adapter.loss})")
    ax.set_title("Diarization adapter: training and validation loss")
    legend(ax, fontsize=7)
    return save_figure(fig, path)


def _learning_plot(result: StudyResult, path: Path) -> Path | None:
    """Validation DER against the step, one panel per trained system (None: no system validated)."""
    from codecprobe.adapter.study import learning_curve

    curves = [(t.system, learning_curve(t.metrics)) for t in result.trainings]
    curves = [(name, curve) for name, curve in curves if curve]
    if not curves:
        return None
    plt = pyplot()
    columns = min(3, len(curves))
    rows = -(-len(curves) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(4 * columns, 2.8 * rows), sharex=True, sharey=True,
                             squeeze=False)
    systems = {s.name: s for s in result.systems}
    for ax, (name, curve) in zip(axes.flat, curves):
        steps, der = zip(*curve)
        ax.plot(steps, der, marker="o", ms=2.5, lw=1.2)
        best = min(range(len(der)), key=der.__getitem__)
        ax.plot(steps[best], der[best], "r*", ms=9)
        ax.set_title(name + ("" if systems[name].trained_encoders else " (UNTRAINED encoder)"), fontsize=9)
        ax.set_xlabel("optimiser step", fontsize=8)
        ax.set_ylabel("validation DER %", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(curves):]:
        ax.axis("off")
    fig.suptitle("Learning curves: DER of the validation windows (label grid, collar 0; star: best)", fontsize=10)
    return save_figure(fig, path)


def _pictured(result: StudyResult, limit: int = 6) -> list[tuple[str, str]]:
    """The recordings drawn: every recording of the evaluation corpora, up to ``limit``, shortest corpora first."""
    chosen = []
    for data in sorted(result.data.evals, key=lambda d: len(d.recordings)):
        for recording in data.recordings:
            if len(chosen) < limit:
                chosen.append((data.name, recording.id))
    return chosen


def _recording_plot(result: StudyResult, corpus: str, recording: str, path: Path) -> Path:
    """Reference speakers against each system's window-local speakers, coloured by the reference speaker
    the scorer mapped them to (grey: unmapped); window edges dotted."""
    plt = pyplot()
    data = next(d for d in result.data.evals if d.name == corpus)
    turns = data.turns[recording]
    speakers = sorted(turns.labels, key=lambda s: min(t.start for t in turns if t.speaker == s))
    colour = {speaker: f"C{i % 10}" for i, speaker in enumerate(speakers)}
    evaluations = [e for e in result.evaluations if e.corpus == corpus]
    rows = len(speakers) + len(evaluations)
    fig, ax = plt.subplots(figsize=(12, 0.9 + 0.35 * rows))
    for i, speaker in enumerate(speakers):
        for turn in turns:
            if turn.speaker == speaker:
                ax.barh(i, turn.end - turn.start, left=turn.start, height=0.7, color=colour[speaker])
    labels = [f"reference {s}" for s in speakers]
    systems = {s.name: s for s in result.systems}
    for j, evaluation in enumerate(evaluations):
        y = len(speakers) + j
        for window in evaluation.windows[recording]:
            ax.axvline(window.start, color="grey", lw=0.3, ls=":")
            for onset, offset, speaker in window.turns:
                ax.barh(y, offset - onset, left=onset, height=0.7, color=colour.get(speaker, "lightgrey"))
        untrained = "" if systems[evaluation.system].trained_encoders else " (UNTRAINED)"
        labels.append(f"{evaluation.system}{untrained}")
    ax.set_yticks(range(rows), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    ax.set_ylabel("reference speaker / system")
    ax.set_title(f"{corpus} / {recording}: reference and window-local hypotheses", fontsize=9)
    return save_figure(fig, path)
