"""``codecprobe diarize``: speed and memory per stage, long recordings, clustering cost, and the offline peer.

Run from the repository root (heavy: run it under ``nice``)::

    .venv/bin/python bench/diarize.py [--model NAME=CHECKPOINT ...] [--hours 1 4]
                                      [--parts real side long clustering] [--baselines classic oracle peer]
                                      [--pipelines classic pyannote] [--variant LABEL PIPELINE KEY=VALUE...]
                                      [--senko-env DIR] [--out DIR]

1. The five real conversations with references in ``../shared/data`` (pyannote-sample,
   AMI ES2004a, Gecko, pyAudioAnalysis x 2, Falcon) and a 10-minute recording made by
   joining them (Gecko cut to fit; speakers of different recordings are different people).
2. Each pipeline (classic; each of ``--pipelines``; each ``--model`` as the adapter pipeline; the adapter pipeline with
   local activity read from the references, the upper bound a perfect adapter would reach)
   in its own subprocess over those recordings: wall time and peak RSS per stage (a thread samples RSS every
   20 ms, tagged with the stage the pipeline is in), DER at collars 0 and 0.25, VAD error
   (miss + false alarm), confusion, JER.
3. In the same run, the offline peer: ``speaker-diarize-lite`` 0.1.0 with Resemblyzer
   embeddings, installed by this script in a scratch virtual environment (``python3 -m
   venv``; it needs numpy only) and imported from there, never a project dependency.
4. Peak RSS and speed of the default pipeline (the first ``--model``, else classic) on
   recordings of ``--hours`` (the 10-minute one repeated).
5. Clustering alone: ours (chunked reduction, linear) against scipy's full centroid linkage
   at growing numbers of embeddings: seconds and peak memory (tracemalloc).
6. Side by side with the trained offline peer, senko 0.2.2 (Silero VAD, CAM++, clustering), run
   from its own venv (``bench/setup_senko_env.sh``; ``--senko-env``): the six real
   recordings as 16-bit mono 16 kHz WAV (senko reads nothing else; every system gets the same
   files), each of ``--pipelines`` through the ``codecprobe diarize`` command and senko through
   ``bench/senko_peer.py``, each system in one subprocess with one thread (torch, OpenMP, BLAS,
   numba): CPU seconds and peak RSS of that process (``os.wait4``), DER by ``codecprobe.score``
   (collars 0 and 0.25, overlap scored, no UEM, pooled over files as md-eval pools) and per file;
   each ``--variant`` adds a pipeline run with config overrides (e.g. one step of it switched off).

``--parts`` runs some of 1-2-3 (``real``), 6 (``side``), 4 (``long``) and 5 (``clustering``); ``--baselines``
some of the classic pipeline, the oracle bound and the peer beside the ``--model`` adapters. Prints Markdown
tables and writes ``OUT/bench.json`` (the parts of this run).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
PEER_VENV = Path("/tmp/codecprobe-bench-peer-venv")
PEER = "speaker-diarize-lite==0.1.0"
SENKO_ENV = REPO.parent / "senko-env"
SENKO = "senko 0.2.2"
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")}
RATE = 16000
STAGES = ("encoder", "adapter", "vad", "segmentation", "embeddings", "clustering", "aggregation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", action="append", default=[], metavar="NAME=CHECKPOINT",
                        help="an adapter checkpoint to benchmark as the adapter pipeline (repeatable)")
    parser.add_argument("--hours", type=float, nargs="*", default=[1.0, 4.0], help="long recordings (default 1 4)")
    parser.add_argument("--baselines", nargs="*", choices=("classic", "oracle", "peer"),
                        default=["classic", "oracle", "peer"], help="beside the adapters (default: all three)")
    parser.add_argument("--parts", nargs="+", choices=("real", "side", "long", "clustering"),
                        default=["real", "side", "long", "clustering"], help="what to measure (default: all)")
    parser.add_argument("--pipelines", nargs="+", choices=("classic", "pyannote"), default=["classic", "pyannote"],
                        metavar="PIPELINE", help="codecprobe diarize --pipeline values: pyannote runs beside the "
                        "baselines in parts real and long, and both run beside senko in part side "
                        "(default: classic pyannote)")
    parser.add_argument("--variant", nargs="+", action="append", default=[], metavar="LABEL PIPELINE KEY=VALUE",
                        help="part side: also PIPELINE with these config overrides (codecprobe diarize --set), "
                        "labelled LABEL (repeatable; e.g. --variant no-split pyannote pyannote.split_threshold=null)")
    parser.add_argument("--senko-env", type=Path, default=SENKO_ENV,
                        help=f"senko's venv, from bench/setup_senko_env.sh (default: {SENKO_ENV})")
    parser.add_argument("--out", type=Path, default=Path("runs/bench-diarize"))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(json.loads(args.child))))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    data = prepare_recordings(args.out / "data")
    classic = [("classic", {"pipeline": "classic"})]
    adapters = [(name, {"pipeline": "adapter", "model": path}) for name, path in (m.split("=", 1) for m in args.model)]
    bound = [("oracle activity (upper bound)", {"pipeline": "adapter"})] if "oracle" in args.baselines else []
    trained = [(name, {"pipeline": name}) for name in args.pipelines if name != "classic"]  # classic: a baseline
    measured = (classic if "classic" in args.baselines else []) + trained + adapters + bound
    results = {"recordings": {k: str(v) for k, v in data.items() if k != "real"}, "systems": {}}

    from codecprobe.data.rttm import read_rttm

    if "real" in args.parts:
        references = [*(r["reference"] for r in data["real"].values()), data["joined_reference"]]
        ref_speakers = {fid: len(turns.labels) for path in references for fid, turns in read_rttm(path).items()}
        rows = []
        for name, overrides in measured:
            oracle = name.startswith("oracle")
            outcome = child({"kind": "pipeline", "name": name, "overrides": overrides, "data": _jsonable(data),
                             "out": str(args.out / ("oracle" if oracle else name)), "oracle": oracle})
            results["systems"][name] = outcome
            rows += _rows(name, outcome, ref_speakers)
        if "peer" in args.baselines:
            install_peer()
            outcome = child({"kind": "peer", "data": _jsonable(data), "out": str(args.out / "peer")})
            results["systems"]["peer"] = outcome
            rows += _rows("speaker-diarize-lite 0.1.0 + Resemblyzer", outcome, ref_speakers)
        print(_table(["system", "recording", "min", "ref spk", "hyp spk", "DER c=0", "VAD err", "conf", "DER c=0.25",
                      "JER", "x real time", "peak RSS MB"], rows))
        print()
        print(_stage_table(results["systems"]))
        for collar in ("0", "0.25"):
            print()
            print(_der_by_recording(results["systems"], collar))

    if "side" in args.parts:
        variants = [(name, name, []) for name in args.pipelines] + [(label, pipeline, sets) for label, pipeline, *sets
                                                                     in args.variant]
        results["side_by_side"] = side_by_side(data["real"], variants, args.senko_env, args.out / "side")
        print()
        print(_side_table(results["side_by_side"]))

    default_name, default = (adapters or trained or classic)[-1]
    long_rows = []
    for hours in args.hours if "long" in args.parts else ():
        path = repeat_to(data["joined"], hours, args.out / "data")
        outcome = child({"kind": "long", "overrides": default, "path": str(path), "out": str(args.out / f"long-{hours:g}h")})
        results.setdefault("long", {})[f"{hours:g}h"] = outcome
        long_rows.append([default_name, f"{hours:g} h", outcome["real_time_factor"],
                          outcome["end_to_end_real_time_factor"], outcome["end_to_end_cpu_real_time_factor"],
                          outcome["peak_rss_mb"],
                          *[outcome["stage_peak_rss_mb"].get(stage, float("nan")) for stage in STAGES]])
    if long_rows:
        print()
        print(_table(["system", "recording", "x real time (stages)", "x real time (end to end)", "x real time (end to end, CPU)",
                                 "peak RSS MB",
                      *[f"{s} MB" for s in STAGES]], long_rows))

    if "clustering" in args.parts:
        results["clustering"] = child({"kind": "clustering"})
        print()
        print(_table(["method", "embeddings", "seconds", "peak MB", "points clustered"],
                     [[r["method"], r["n"], r["seconds"], r["peak_mb"], r.get("n_clustered", r["n"])]
                      for r in results["clustering"]]))
    (args.out / "bench.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nfull results: {args.out / 'bench.json'}", file=sys.stderr)


# -- the recordings -----------------------------------------------------------------------
def prepare_recordings(folder: Path) -> dict:
    """The real recordings with their references as RTTM, and the joined 10-minute recording."""
    from codecprobe.demo.conversations import shared_conversations

    folder.mkdir(parents=True, exist_ok=True)
    real = shared_conversations(SHARED, folder)
    joined = folder / "joined10.wav"
    if not joined.exists():
        _join(real, joined, folder / "joined10.rttm")
    return {"real": {fid: {"audio": str(a), "reference": str(r)} for fid, (a, r) in real.items()},
            "joined": joined, "joined_reference": folder / "joined10.rttm"}


def _join(real: dict, path: Path, reference_path: Path, minutes: float = 10.0) -> None:
    """The recordings one after another, Gecko's 9.5 min last and cut to make ``minutes``."""
    from codecprobe.audio import read_audio
    from codecprobe.data import Turns
    from codecprobe.data.rttm import read_rttm, write_rttm

    pieces, onsets, durations, speakers, cursor = [], [], [], [], 0.0
    for fid in sorted(real, key=lambda f: f == "demo"):
        audio_path, reference_path_of = real[fid]
        audio, _ = read_audio(audio_path, target_rate=RATE)
        audio = audio[: int((minutes * 60 - cursor) * RATE)]
        end = len(audio) / RATE
        for turn in read_rttm(reference_path_of)[fid]:
            if turn.start < end:
                onsets.append(cursor + turn.start)
                durations.append(min(turn.end, end) - turn.start)
                speakers.append(f"{fid}:{turn.speaker}")
        pieces.append(audio)
        cursor += end
    sf.write(path, np.concatenate(pieces), RATE, subtype="PCM_16")
    write_rttm(reference_path, {"joined10": Turns.build("joined10", onsets, durations, speakers)})


def repeat_to(path: Path, hours: float, folder: Path) -> Path:
    """``path`` repeated to ``hours`` of audio, written block by block (16-bit PCM)."""
    target = folder / f"long{hours:g}h.wav"
    if target.exists():
        return target
    audio, rate = sf.read(path, dtype="int16")
    total = int(hours * 3600 * rate)
    with sf.SoundFile(target, "w", rate, 1, subtype="PCM_16") as out:
        written = 0
        while written < total:
            piece = audio[: total - written]
            out.write(piece)
            written += len(piece)
    return target


# -- children: one process per measurement, so that peak RSS is its own ---------------------
def child(spec: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          env=env)
    if done.returncode:
        raise RuntimeError(f"{spec['kind']} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_child(spec: dict) -> dict:
    if spec["kind"] == "clustering":
        return clustering_scale()
    sampler = RssSampler()
    with sampler:
        if spec["kind"] == "peer":
            outcome = run_peer(spec)
        else:
            outcome = run_pipeline(spec, sampler)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    outcome["stage_peak_rss_mb"] = sampler.peaks
    outcome["peak_rss_mb"] = usage.ru_maxrss / 1024
    # CPU seconds of the whole child (models loaded, every recording): on a shared machine wall time
    # counts the other jobs' share of the cores, CPU time does not
    outcome["cpu_s"] = usage.ru_utime + usage.ru_stime
    if "out" in spec:  # kept beside the child's outputs too, should the parent not finish
        Path(spec["out"]).mkdir(parents=True, exist_ok=True)
        (Path(spec["out"]) / "outcome.json").write_text(json.dumps(outcome, indent=2) + "\n")
    return outcome


class RssSampler:
    """Peak resident memory per pipeline stage: a thread reads /proc/self/statm every 20 ms and
    files the reading under the stage :func:`codecprobe.diarize.stitching.timed` is in."""

    def __init__(self):
        self.stage = "other"  # loading models, writing outputs: outside every timed stage
        self.peaks: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}  # CPU seconds of the process per stage (both cores count)
        self._stop = threading.Event()
        self._page = os.sysconf("SC_PAGE_SIZE")

    def __enter__(self):
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self):
        while not self._stop.is_set():
            with open("/proc/self/statm") as handle:
                rss = int(handle.read().split()[1]) * self._page / 2**20
            self.peaks[self.stage] = max(self.peaks.get(self.stage, 0.0), rss)
            time.sleep(0.02)

    def tag_stages(self):
        """Make every ``timed(seconds, stage)`` block of the pipeline tell the sampler its stage."""
        from codecprobe.diarize import adapter_pipeline, classic, pyannote_pipeline, stitching

        original = stitching.timed

        @contextlib.contextmanager
        def tagged(seconds, stage):
            previous, self.stage = self.stage, stage
            tick = time.process_time()
            try:
                with original(seconds, stage):
                    yield
            finally:
                self.stage = previous
                self.cpu_seconds[stage] = self.cpu_seconds.get(stage, 0.0) + time.process_time() - tick

        for module in (stitching, classic, adapter_pipeline, pyannote_pipeline):
            module.timed = tagged


def run_pipeline(spec: dict, sampler: RssSampler) -> dict:
    from codecprobe.config import load_config
    from codecprobe.diarize.run import run_diarize
    from codecprobe.diarize.config import DiarizeConfig

    sampler.tag_stages()
    config = load_config(DiarizeConfig, None, [f"{k}={json.dumps(v)}" for k, v in spec["overrides"].items()])
    if spec["kind"] == "long":
        tick = time.process_time()
        summary = run_diarize(config, [spec["path"]], spec["out"], progress=False)
        totals = summary["totals"]
        return {"real_time_factor": totals["real_time_factor"], "label": summary["pipeline"]["label"],
                "end_to_end_real_time_factor": totals["audio_s"] / totals["wall_s"],
                "end_to_end_cpu_real_time_factor": totals["audio_s"] / (time.process_time() - tick),
                "stage_seconds": totals["stage_seconds"], "stage_cpu_s": sampler.cpu_seconds,
                "n_speakers": summary["recordings"][0]["n_speakers"]}
    data = spec["data"]
    real = data["real"]
    pipeline = _oracle_pipeline(config, [*(r["reference"] for r in real.values()), data["joined_reference"]]) \
        if spec.get("oracle") else None
    tick = time.process_time()
    runs = {"joined10": run_diarize(config, [data["joined"]], Path(spec["out"]) / "joined", progress=False,
                                    reference=[data["joined_reference"]], pipeline=pipeline)}
    joined_cpu = {"end_to_end_cpu_s": time.process_time() - tick, "stage_cpu_s": dict(sampler.cpu_seconds)}
    runs["real"] = run_diarize(config, [r["audio"] for r in real.values()], Path(spec["out"]) / "real", progress=False,
                               reference=[r["reference"] for r in real.values()], pipeline=pipeline)
    outcome = {"label": runs["real"]["pipeline"]["label"], **{name: _scores(s) for name, s in runs.items()}}
    outcome["joined10"]["joined10"].update(joined_cpu)  # CPU seconds of the joined recording alone
    return outcome


def _oracle_pipeline(config, references: list[str]):
    """The adapter pipeline with local activity read from the references: what a perfect adapter would reach."""
    from codecprobe.diarize.adapter_pipeline import AdapterPipeline
    from codecprobe.diarize.oracle import OracleModel
    from codecprobe.data.rttm import read_rttms

    return AdapterPipeline(config, OracleModel(read_rttms(references)))


def _scores(summary: dict) -> dict:
    """Per recording: duration, speakers, speed, stage seconds and the scores at collars 0 and 0.25."""
    scores = summary["scores"]["collars"]
    out = {}
    for record in summary["recordings"]:
        fid = record["id"]
        out[fid] = {"duration_s": record["duration_s"], "n_speakers": record["n_speakers"],
                    "real_time_factor": record["real_time_factor"], "stage_seconds": record["seconds"],
                    **{f"c{c}": scores[c]["files"][fid] for c in scores}}
    totals = summary["totals"]
    out["TOTAL"] = {"duration_s": totals["audio_s"], "real_time_factor": totals["real_time_factor"],
                    "end_to_end_real_time_factor": totals["audio_s"] / totals["wall_s"],
                    "stage_seconds": totals["stage_seconds"],
                    **{f"c{c}": scores[c]["overall"] for c in scores}}
    return out


# -- the peer ----------------------------------------------------------------------------------
def install_peer() -> None:
    """``speaker-diarize-lite`` in a scratch venv of its own (numpy only: no torch, no project code)."""
    if not list(PEER_VENV.glob("lib/python*/site-packages/speaker_diarize_lite")):
        subprocess.run(["python3", "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "--quiet", PEER], check=True)


def run_peer(spec: dict) -> dict:
    """The peer's ``Diarizer`` from the scratch venv, describing windows with Resemblyzer (GE2E)."""
    import torch

    from codecprobe.audio import read_audio
    from codecprobe.data.rttm import read_rttm
    from codecprobe.score import score

    sys.path.append(str(next(PEER_VENV.glob("lib/python*/site-packages"))))
    from resemblyzer import VoiceEncoder
    from speaker_diarize_lite import Diarizer

    torch.set_num_threads(1)  # as our GE2E adapter runs it
    encoder = VoiceEncoder(device="cpu", verbose=False)
    diarizer = Diarizer(embed=lambda window, rate: encoder.embed_utterance(window.astype(np.float32)))
    data = spec["data"]
    items = {fid: (r["audio"], r["reference"]) for fid, r in data["real"].items()}
    out = {}
    for group, members in (("joined10", {"joined10": (data["joined"], data["joined_reference"])}), ("real", items)):
        system, reference, seconds = {}, {}, {}
        for fid, (audio_path, reference_path) in members.items():
            audio, _ = read_audio(audio_path, target_rate=RATE)
            tick = time.perf_counter()
            result = diarizer.diarize(audio, sample_rate=RATE)
            seconds[fid] = time.perf_counter() - tick
            lines = result.to_rttm(file_id=fid)
            (Path(spec["out"]) / "rttm").mkdir(parents=True, exist_ok=True)
            (Path(spec["out"]) / "rttm" / f"{fid}.rttm").write_text(lines)
            system.update(read_rttm(Path(spec["out"]) / "rttm" / f"{fid}.rttm") or {})
            reference.update(read_rttm(reference_path))
            out.setdefault(group, {})[fid] = {"duration_s": len(audio) / RATE, "n_speakers": result.num_speakers,
                                              "real_time_factor": len(audio) / RATE / seconds[fid]}
        for collar in (0.0, 0.25):
            scored = score(reference, system, collar=collar).to_dict()
            for fid in members:
                out[group][fid][f"c{collar:g}"] = scored["files"][fid]
            total = sum(v["duration_s"] for k, v in out[group].items() if k != "TOTAL")
            out[group].setdefault("TOTAL", {"duration_s": total,
                                            "real_time_factor": total / sum(seconds.values())})[f"c{collar:g}"] = scored["overall"]
    out["label"] = "speaker-diarize-lite 0.1.0 + Resemblyzer embeddings"
    return out


# -- side by side with senko: one process per system, one thread each --------------------------
def side_by_side(real: dict, pipelines: list[tuple[str, str, list[str]]], senko_env: Path, out: Path) -> dict:
    """DER, speed and peak RSS of each codecprobe pipeline (label, ``--pipeline`` value, ``--set`` overrides)
    and of senko, each system run twice: on the recordings, then on 1 s of silence, whose CPU seconds
    (imports, model loading, senko's clustering warm-up) are taken off the first run's to give the speed of
    the diarization itself."""
    from codecprobe.data.rttm import read_rttms
    from codecprobe.score import score

    python = senko_env / "bin" / "python"
    if not python.exists():
        raise SystemExit(f"--senko-env {senko_env}: no senko venv there; build it with bench/setup_senko_env.sh {senko_env}")
    wavs = _wav16k(real, out / "wav")
    silence = out / "wav-startup" / "silence.wav"
    silence.parent.mkdir(parents=True, exist_ok=True)
    sf.write(silence, np.zeros(RATE, dtype=np.int16), RATE, subtype="PCM_16")
    audio_s = sum(sf.info(w).duration for w in wavs)
    reference = read_rttms([r["reference"] for r in real.values()])

    def command(system: str, sets: list[str], inputs: list[Path], folder: Path) -> list[str]:
        shutil.rmtree(folder, ignore_errors=True)  # codecprobe diarize resumes from what it finds there
        if system == SENKO:
            return [str(python), str(REPO / "bench" / "senko_peer.py"), str(folder), *map(str, inputs)]
        return [sys.executable, "-m", "codecprobe.cli.main", "diarize", *map(str, inputs), "--pipeline", system,
                "--out", str(folder), "--quiet", "--set", "plots=false", *sets]

    systems = {"load_before": os.getloadavg()}
    for name, system, sets in [*pipelines, (SENKO, SENKO, [])]:
        folder = out / name.split()[0]
        cost = _measured(command(system, sets, wavs, folder))
        startup = _measured(command(system, sets, [silence], out / "startup" / name.split()[0]))
        scores = {f"c{c:g}": score(reference, read_rttms([folder / "rttm"]), collar=c).to_dict() for c in (0.0, 0.25)}
        systems[name] = {"pipeline": system, "sets": sets, "der": {c: s["overall"]["der"] for c, s in scores.items()},
                         "file_der": {c: {f: v["der"] for f, v in s["files"].items()} for c, s in scores.items()},
                         "audio_s": audio_s, **cost, "startup_cpu_s": startup["cpu_s"],
                         "startup_peak_rss_mb": startup["peak_rss_mb"],
                         "cpu_real_time_factor": audio_s / cost["cpu_s"],
                         "diarize_cpu_real_time_factor": audio_s / (cost["cpu_s"] - startup["cpu_s"]),
                         "wall_real_time_factor": audio_s / cost["wall_s"]}
    systems["load_after"] = os.getloadavg()
    return systems


def _wav16k(real: dict, folder: Path) -> list[Path]:
    """Each recording as 16-bit mono 16 kHz WAV named by its file id (senko takes the RTTM id from the name)."""
    import soxr

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for fid, r in real.items():
        audio, rate = sf.read(r["audio"], dtype="float32", always_2d=True)
        audio = audio.mean(axis=1)
        if rate != RATE:
            audio = soxr.resample(audio, rate, RATE)
        paths.append(folder / f"{fid}.wav")
        sf.write(paths[-1], audio, RATE, subtype="PCM_16")
    return paths


def _measured(command: list[str]) -> dict:
    """Run ``command`` with one thread everywhere: its wall seconds, CPU seconds and peak RSS (its own,
    from ``os.wait4``: getrusage's RUSAGE_CHILDREN would give the largest child so far), its last stdout line."""
    env = dict(os.environ, **ONE_THREAD, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        tick = time.perf_counter()
        process = subprocess.Popen(command, stdout=stdout, stderr=stderr, text=True, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - tick
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        stderr.seek(0)
        if process.returncode:
            raise RuntimeError(f"{' '.join(command[:4])} ... failed:\n{stderr.read()[-3000:]}")
        last = (stdout.read().strip().splitlines() or [""])[-1]
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "child": json.loads(last) if last.startswith("{") else None}


def _side_table(side: dict) -> str:
    systems = {k: v for k, v in side.items() if not k.startswith("load")}
    files = sorted(next(iter(systems.values()))["file_der"]["c0"])
    rows = [[name, s["der"]["c0"], s["der"]["c0.25"], *[s["file_der"]["c0"][f] for f in files],
             s["cpu_real_time_factor"], s["diarize_cpu_real_time_factor"], s["wall_real_time_factor"],
             s["startup_cpu_s"], s["peak_rss_mb"]]
            for name, s in systems.items()]
    table = _table(["system (1 thread)", "DER % pooled", "DER % c=0.25", *[f"{f} DER %" for f in files],
                    "x rt per CPU-s", "x rt per CPU-s, start-up off", "x rt wall", "start-up CPU-s", "peak RSS MB"], rows)
    senko = systems[SENKO]
    ratios = [f"{name} / senko: DER x{s['der']['c0'] / senko['der']['c0']:.2f}, "
              f"CPU speed x{s['cpu_real_time_factor'] / senko['cpu_real_time_factor']:.2f} "
              f"(start-up off x{s['diarize_cpu_real_time_factor'] / senko['diarize_cpu_real_time_factor']:.2f}), "
              f"peak RSS x{s['peak_rss_mb'] / senko['peak_rss_mb']:.2f}"
              for name, s in systems.items() if s is not senko]
    load = "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(*side["load_before"], *side["load_after"])
    return "\n".join([table, "", *ratios, load])


# -- clustering cost ---------------------------------------------------------------------------
def clustering_scale() -> list[dict]:
    """Ours at growing n against scipy's centroid linkage over every embedding (what pyannote runs)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    from codecprobe.diarize.clustering import cluster_embeddings
    from codecprobe.diarize.config import ClusteringConfig

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((12, 256))
    rows = []
    for n in (1000, 4000, 16000, 64000):
        vectors = centres[np.repeat(rng.integers(0, 12, n // 20), 20)] + 0.5 * rng.standard_normal((n, 256))
        for method in ("ours", "scipy") if n <= 8000 or n == 16000 else ("ours",):
            tracemalloc.start()
            tick = time.perf_counter()
            if method == "ours":
                clusters = cluster_embeddings(vectors, ClusteringConfig())
                extra = {"n_clustered": clusters.n_clustered, "n_speakers": clusters.n_speakers}
            else:
                unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
                labels = fcluster(linkage(unit, method="centroid"), 0.7, criterion="distance")
                extra = {"n_speakers": int(labels.max())}
            seconds = time.perf_counter() - tick
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            rows.append({"method": method, "n": n, "seconds": seconds, "peak_mb": peak, **extra})
    return rows


# -- tables ----------------------------------------------------------------------------------------
def _rows(name: str, outcome: dict, ref_speakers: dict[str, int]) -> list[list]:
    rows = []
    for group in ("real", "joined10"):
        for fid, r in outcome[group].items():
            if group == "joined10" and fid == "TOTAL":
                continue
            c0, c25 = r["c0"], r["c0.25"]
            rows.append([name, fid if group == "real" else "joined 10 min", r["duration_s"] / 60,
                         ref_speakers.get(fid, ""), r.get("n_speakers", ""), c0["der"], c0["miss"] + c0["fa"],
                         c0["conf"], c25["der"], c0.get("jer", float("nan")), r["real_time_factor"],
                         outcome["peak_rss_mb"] if fid in ("TOTAL", "joined10") else ""])
    return rows


def _stage_table(systems: dict) -> str:
    """Per pipeline on the joined 10-minute recording: x real time and peak RSS of each stage."""
    rows = []
    for name, outcome in systems.items():
        joined = outcome["joined10"].get("joined10", {})
        seconds = joined.get("stage_seconds", {})
        duration = joined.get("duration_s", float("nan"))
        cpu = joined.get("stage_cpu_s", {})
        rows.append([name, *[duration / seconds[s] if seconds.get(s) else float("nan") for s in STAGES],
                     outcome["joined10"]["TOTAL"].get("end_to_end_real_time_factor", joined.get("real_time_factor")),
                     *[duration / cpu[s] if cpu.get(s) else float("nan") for s in STAGES],
                     duration / joined["end_to_end_cpu_s"] if "end_to_end_cpu_s" in joined else float("nan"),
                     *[outcome["stage_peak_rss_mb"].get(s, float("nan")) for s in STAGES], outcome["peak_rss_mb"]])
    return _table(["system (joined 10 min)", *[f"{s} x rt" for s in STAGES], "end to end x rt",
                   *[f"{s} x rt (CPU)" for s in STAGES], "end to end x rt (CPU)",
                   *[f"{s} MB" for s in STAGES], "peak MB"], rows)


def _der_by_recording(systems: dict, collar: str) -> str:
    """DER at ``collar`` (overlap scored), one row per recording, one column per system."""
    recordings = [fid for fid in next(iter(systems.values()))["real"] if fid != "TOTAL"] + ["TOTAL", "joined10"]
    rows = [[f"{fid} (pooled)" if fid == "TOTAL" else fid,
             *[o["joined10" if fid == "joined10" else "real"][fid][f"c{collar}"]["der"] for o in systems.values()]]
            for fid in recordings]
    return _table([f"DER % at collar {collar}", *systems], rows)


def _table(headers: list[str], rows: list[list]) -> str:
    from codecprobe.report import markdown_table

    return markdown_table(headers, rows, float_format="{:.1f}")


def _jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, default=str))


if __name__ == "__main__":
    main()
