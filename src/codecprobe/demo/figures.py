"""The demo's own figures: speaker-identity EERs with their intervals, and one picture per conversation."""
from __future__ import annotations

from pathlib import Path

from codecprobe.data.turns import Turns
from codecprobe.report.plots import legend, pyplot, save_figure


def identity_figure(rows: list[dict], path: Path) -> Path | None:
    """EER (with its bootstrap interval over speakers) per encoder and back-end, the verdict lines marked."""
    from codecprobe.verify.config import Thresholds

    plt = pyplot()
    thresholds = Thresholds()
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.5))
    for y, row in enumerate(reversed(rows)):
        low, high = row["eer_interval"] or (row["eer"], row["eer"])
        colour = "0.55" if row["role"] == "control" else "tab:blue"
        ax.errorbar(row["eer"], y, xerr=[[row["eer"] - low], [high - row["eer"]]], fmt="o", color=colour, capsize=3)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r['label']} · {r['backend']}" for r in reversed(rows)], fontsize=8)
    for value, what, style in ((thresholds.eer_straightforward, "adapter straightforward", ":"),
                               (thresholds.eer_viable, "adapter viable", "--"), (50.0, "chance", "-")):
        ax.axvline(value, color="0.4", linestyle=style, linewidth=0.8, label=f"{value:g} %: {what}")
    ax.set_xlim(0, 55)
    ax.set_xlabel("EER % (bar: 95 % interval, bootstrap over speakers)")
    ax.set_ylabel("encoder · back-end")
    sets = sorted({f"{r['eval_set']} (back-ends fitted on {r['train_set']})" for r in rows})
    ax.set_title(f"Speaker verification on {', '.join(sets)}", fontsize=9)
    legend(ax, fontsize=7, loc="lower right")
    return save_figure(fig, path, dpi=90)


def conversation_figure(reference: Turns, systems: list[tuple[str, Turns | None]], title: str,
                        path: Path) -> Path | None:
    """One band per source (the reference, then each system), one thin row per speaker in it; a system's
    speaker mapped to a reference speaker (the DER mapping at collar 0) takes that speaker's colour,
    an unmapped one is grey."""
    from codecprobe.score import score

    plt = pyplot()
    colours = plt.get_cmap("tab10")
    colour_of = {r: colours(i % 10) for i, r in enumerate(reference.labels)}
    bands = [("reference", reference, dict(colour_of))]
    for name, turns in systems:
        turns = turns if turns is not None else Turns.empty(reference.recording_id)
        mapping = score({reference.recording_id: reference}, {reference.recording_id: turns},
                        collar=0.0).files[reference.recording_id].mapping
        bands.append((name, turns, {s: colour_of[r] for r, s in mapping.items()}))
    fig, ax = plt.subplots(figsize=(10, 0.9 * len(bands) + 1.2))
    for y, (_, turns, colours_here) in enumerate(reversed(bands)):
        height = 0.8 / max(1, len(turns.labels))
        for row, label in enumerate(turns.labels):
            pick = turns.code == row
            ax.broken_barh(list(zip(turns.start[pick], turns.duration[pick])),
                           (y - 0.4 + row * height, height * 0.9), facecolors=colours_here.get(label, "0.6"))
    ax.set_yticks(range(len(bands)))
    ax.set_yticklabels([f"{name} ({len(turns.labels)})" for name, turns, _ in reversed(bands)], fontsize=8)
    end = max([1.0, reference.end.max(initial=0.0), *(t.end.max(initial=0.0) for _, t, _ in bands)])
    ax.set_xlim(0, end)
    ax.set_xlabel("time (s)")
    ax.set_ylabel("source (speakers)")
    ax.set_title(f"{title}: one row per speaker; a system's speaker takes the colour of the "
                 "reference speaker it maps to, grey if none", fontsize=8)
    return save_figure(fig, path, dpi=80)
