"""Command-line start-up and end-to-end scoring: `codecprobe score` against spy-der's `spyder` command.

    .venv/bin/python bench/startup.py [--repeats 5] [--files 20] [--hours 1] [--baseline-src DIR] [--commands ...]

Every figure is a whole command run in a fresh process, as a user types it: interpreter start,
imports, reading the RTTMs, scoring, printing. Cases:

- ``--help``: ``codecprobe --help`` and ``codecprobe COMMAND --help`` for every command (issue 18
  item 7: each under 0.5 s; the encoder settings they list once imported torch and transformers);
- ``import codecprobe.train.grid`` (issue 17 item 6: under 1 s), with the total that
  ``python -X importtime`` reports for it;
- one VoxConverse file (the longest dev reference in ../shared/data/voxconverse-rttm) against a
  seeded perturbation of itself (boundaries jittered, 10 % of turns dropped, 10 % relabelled);
- ``--files`` generated recordings of ``--hours`` each (bench/score.py's generator: ~10k reference
  turns per hour), written as one reference and one system RTTM, since ``spyder`` takes one of each.

``spyder`` computes DER only; ``codecprobe score`` computes DER, JER and B3/MI/NMI. With
``--baseline-src`` (the ``src`` folder of an older checkout, e.g. ``git archive <commit> src``), the
same commands run on that code too: before and after in one run. Runs are interleaved and the
median of ``--repeats`` is reported (wall and CPU seconds, peak RSS), since the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from score import generate  # noqa: E402  (bench/score.py)

from codecprobe.cli.main import command_modules  # noqa: E402
from codecprobe.data import Turns  # noqa: E402
from codecprobe.data.rttm import read_rttm, write_rttm  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
VOXCONVERSE = REPO.parent / "shared" / "data" / "voxconverse-rttm" / "dev"


def perturbed(reference: dict[str, Turns], seed: int = 0) -> dict[str, Turns]:
    """A plausible system output: jittered boundaries, some turns dropped, some given another speaker."""
    rng = np.random.default_rng(seed)
    system = {}
    for fid, turns in reference.items():
        keep = rng.random(len(turns)) > 0.1
        onset = np.maximum(turns.start[keep] + rng.normal(0, 0.2, keep.sum()), 0)
        duration = np.maximum(turns.duration[keep] + rng.normal(0, 0.2, keep.sum()), 0.05)
        codes = np.where(rng.random(keep.sum()) < 0.1, rng.integers(0, len(turns.labels), keep.sum()),
                         turns.code[keep])
        system[fid] = Turns(fid, np.round(onset, 3), np.round(duration, 3), codes,
                            [f"sys_{label}" for label in turns.labels])
    return system


def run(command: list[str], env: dict | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MB) of one command in a fresh process.

    Measured by GNU time, not by waiting on the child here: Linux carries a process's peak RSS
    across exec, so a child of this (large) process would report at least this process's size.
    """
    start = time.perf_counter()
    out = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", *command], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, env=env, text=True)
    seconds = time.perf_counter() - start
    if out.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} failed: {out.stderr[-500:]}")
    user, system, peak_kb = out.stderr.strip().splitlines()[-1].split()
    return seconds, float(user) + float(system), float(peak_kb) / 1024


def import_seconds(module: str, src: Path) -> float:
    """The cumulative import time ``python -X importtime`` reports for ``module`` (its last line), in seconds."""
    out = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True, check=True, env={**os.environ, "PYTHONPATH": str(src)})
    last = [line for line in out.stderr.splitlines() if line.rstrip().endswith(f"| {module}")][-1]
    return int(last.split("|")[1]) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--hours", type=float, default=1.0, help="hours per generated recording")
    parser.add_argument("--baseline-src", type=Path, help="src folder of the code to compare against")
    parser.add_argument("--commands", nargs="*", metavar="COMMAND",
                        help="the commands whose --help is timed (default: every command)")
    args = parser.parse_args()

    spyder = shutil.which("spyder") or str(Path(sys.executable).with_name("spyder"))
    work = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    one = max(VOXCONVERSE.glob("*.rttm"), key=lambda p: p.stat().st_size)
    write_rttm(work / "one-sys.rttm", perturbed(read_rttm(one)))
    reference, system = generate(args.files, args.hours)
    write_rttm(work / "many-ref.rttm", reference)
    write_rttm(work / "many-sys.rttm", system)
    turns = sum(map(len, reference.values()))
    helps = [[command, "--help"] for command in (command_modules() if args.commands is None else args.commands)]
    cases = {
        **{" ".join(argv): argv for argv in [["--help"], *helps]},
        "import codecprobe.train.grid": "codecprobe.train.grid",
        f"1 VoxConverse file ({one.stem}, {len(next(iter(read_rttm(one).values())))} turns)":
            (str(one), str(work / "one-sys.rttm")),
        f"{args.files} files x {args.hours:g} h ({turns} reference turns)":
            (str(work / "many-ref.rttm"), str(work / "many-sys.rttm")),
    }
    codes = {"ours": REPO / "src", **({"before": args.baseline_src} if args.baseline_src else {})}
    commands = {}
    for case, what in cases.items():
        for name, src in codes.items():
            env = {**os.environ, "PYTHONPATH": str(src)}
            if isinstance(what, str):  # a module to import
                command = [sys.executable, "-c", f"import {what}"]
            else:
                argv = what if isinstance(what, list) else ["score", "-r", what[0], "-s", what[1]]
                command = [sys.executable, "-m", "codecprobe.cli.main", *argv]
            commands[(case, f"codecprobe ({name})")] = (command, env)
        if isinstance(what, tuple):
            commands[(case, "spyder (DER only)")] = ([spyder, *what], None)

    timings: dict[tuple, list[tuple[float, float, float]]] = {key: [] for key in commands}
    import_totals: dict[str, list[float]] = {name: [] for name in codes}
    for _ in range(args.repeats):  # interleaved: every command once per round
        for key, (command, env) in commands.items():
            timings[key].append(run(command, env))
        for name, src in codes.items():
            import_totals[name].append(import_seconds("codecprobe.train.grid", src))
    shutil.rmtree(work)

    print(f"{'case':48s} {'command':22s} {'wall s':>8s} {'CPU s':>7s} {'peak RSS MB':>12s}  (medians)")
    wall, cpu = {}, {}
    for (case, command), values in timings.items():
        wall[(case, command)] = statistics.median(v[0] for v in values)
        cpu[(case, command)] = statistics.median(v[1] for v in values)
        print(f"{case:48s} {command:22s} {wall[(case, command)]:8.3f} {cpu[(case, command)]:7.3f} "
              f"{statistics.median(v[2] for v in values):12.0f}")
    print()
    for name, totals in import_totals.items():
        print(f"python -X importtime -c 'import codecprobe.train.grid' ({name}): {statistics.median(totals):.3f} s "
              "cumulative (median; target < 1 s)")
    slowest = max((wall[(case, "codecprobe (ours)")], case) for case, what in cases.items() if isinstance(what, list))
    print(f"slowest --help (ours): {slowest[1]} {slowest[0]:.3f} s wall (target < 0.5 s)")
    print()
    for case in cases:
        ours = (case, "codecprobe (ours)")
        for name, figures in (("wall", wall), ("CPU", cpu)):
            line = f"{case}, {name}: "
            if (case, "spyder (DER only)") in figures:
                line += f"spyder / ours = {figures[(case, 'spyder (DER only)')] / figures[ours]:.2f} (target >= 1)"
            if "before" in codes:
                line += f"; before / ours = {figures[(case, 'codecprobe (before)')] / figures[ours]:.1f}"
            if not line.endswith(": "):
                print(line.replace(": ; ", ": "))


if __name__ == "__main__":
    main()
