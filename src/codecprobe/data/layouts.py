"""Loaders from a folder on disk to a :class:`Corpus`, one per layout.

========================  ==========================================================
layout                    what the folder holds
========================  ==========================================================
``speaker-folders``       ``<speaker>/**/<file>.<wav|flac|mp3|ogg>``
``fsdd``                  Free Spoken Digit naming ``{digit}_{speaker}_{index}.wav``
                          (text = the digit)
``librispeech``           LibriSpeech: ``<part>/<spk>/<chapter>/`` with transcripts
                          (via lhotse's recipe), or ``<spk>/<spk>-<chapter>-<utt>.flac``
``voxceleb``              ``[wav/]<speaker>/<video>/<utt>.wav`` (VoxCeleb1/2)
``rttm``                  audio files with RTTM (or pyAudioAnalysis ``.segments``)
                          references anywhere below (diarization); a speaker label
                          belongs to its recording unless ``corpus.yaml`` says
                          ``speaker_labels: global`` (see :func:`load_rttm_folder`)
``manifest``              a CSV or JSONL file (or a folder holding ``manifest.csv`` /
                          ``manifest.jsonl``) with columns ``path, speaker`` and
                          optional ``id, start, end, text``; or lhotse manifests as its
                          recipes write them, one split (``..._recordings_<split>.jsonl.gz``
                          + ``..._supervisions_<split>.jsonl.gz``; see
                          :func:`load_lhotse_manifests`)
========================  ==========================================================

Segment ids are file paths relative to the corpus root without extension, so a
trial list's ``enroll test`` paths map onto them directly. Files that cannot be read
are listed in ``Corpus.failures`` and skipped.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path
from typing import Callable, Iterable

import yaml
from lhotse import RecordingSet, SupervisionSegment, SupervisionSet
from lhotse.utils import fastcopy

from codecprobe.audio import AudioError
from codecprobe.data.corpus import Corpus, make_recording, segment_id_for_path
from codecprobe.errors import InputError
from codecprobe.data.rttm import read_rttm, read_segments

AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg")
_FSDD_NAME = re.compile(r"^(\d)_([A-Za-z]+)_(\d+)$")
_LIBRISPEECH_NAME = re.compile(r"^(\d+)-(\d+)-(\d+)$")


def load_corpus(root: str | Path, layout: str | None = None, name: str | None = None) -> Corpus:
    """Load the corpus in ``root``; ``layout=None`` guesses it from the folder's contents."""
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: corpus folder or manifest does not exist")
    layout = layout or detect_layout(root)
    if layout not in LAYOUTS:
        raise InputError(f"unknown layout {layout!r} (--layout); known: {', '.join(LAYOUTS)}")
    corpus = LAYOUTS[layout](root)
    corpus.name = name or root.stem
    if not corpus.segments():
        unreadable = (f"; {len(corpus.failures)} unreadable file(s), e.g. {corpus.failures[0][0]}: "
                      f"{corpus.failures[0][1]}") if corpus.failures else ""
        raise InputError(f"{root}: no audio to encode (layout {layout!r}){unreadable}")
    return corpus


def detect_layout(root: Path) -> str:
    if root.is_file() or any((root / n).exists() for n in ("manifest.csv", "manifest.jsonl")) \
            or lhotse_recordings_manifests(root):
        return "manifest"
    if any(root.rglob("*.rttm")) or any(root.rglob("*.segments")):
        return "rttm"
    if (root / "wav").is_dir() or any(p.name.startswith("id") and p.is_dir() for p in root.glob("id*")):
        return "voxceleb"
    files = _audio_files(root)
    if files and all(_FSDD_NAME.match(f.stem) for f in files[:50]):
        return "fsdd"
    if files and all(_LIBRISPEECH_NAME.match(f.stem) for f in files[:50]):
        return "librispeech"
    return "speaker-folders"


# -- utterance corpora: one segment per file ---------------------------------------------
def load_speaker_folders(root: Path) -> Corpus:
    return _per_file_corpus(root, "speaker-folders", _audio_files(root), lambda rel: (rel.parts[0], None))


def load_fsdd(root: Path) -> Corpus:
    def label(rel: Path) -> tuple[str, str]:
        match = _FSDD_NAME.match(rel.stem)
        if not match:
            raise InputError(f"{root / rel}: not named {{digit}}_{{speaker}}_{{index}}.wav")
        return match.group(2), match.group(1)

    return _per_file_corpus(root, "fsdd", _audio_files(root), label)


def load_voxceleb(root: Path) -> Corpus:
    """VoxCeleb's ``<speaker>/<video>/<utt>.wav`` tree.

    Not lhotse's ``prepare_voxceleb``: it downloads the trial list from the internet while
    preparing and requires ``vox1_meta.csv``; here trials come from ``--trials`` and speaker
    ids from the folder names. Ids are paths relative to ``wav/`` (as in the trial lists). Each
    utterance was cut from a video: its ``source`` (see :func:`~codecprobe.data.corpus.source_of`)
    is ``<speaker>/<video>``.
    """
    base = root / "wav" if (root / "wav").is_dir() else root
    corpus = _per_file_corpus(base, "voxceleb", _audio_files(base), lambda rel: (rel.parts[0], None))
    for segment in corpus.supervisions:
        segment.custom = {"source": segment.id.rsplit("/", 1)[0]}
    corpus.root = root
    return corpus


def load_librispeech(root: Path) -> Corpus:
    """The standard LibriSpeech tree through lhotse's recipe, else ``<spk>/<spk>-<ch>-<utt>``."""
    if any(root.glob("*/*/*/*.trans.txt")) or any(root.glob("*/*/*.trans.txt")):
        return _librispeech_with_lhotse(root)

    def label(rel: Path) -> tuple[str, None]:
        match = _LIBRISPEECH_NAME.match(rel.stem)
        return (match.group(1) if match else rel.parts[0]), None

    corpus = _per_file_corpus(root, "librispeech", _audio_files(root), label)
    genders = _librispeech_genders(root / "SPEAKERS.TXT")
    for segment in corpus.supervisions:
        segment.gender = genders.get(segment.speaker)
    return corpus


def _librispeech_with_lhotse(root: Path) -> Corpus:
    from lhotse.recipes import prepare_librispeech

    parts_root = root.parent if any(root.glob("*/*/*.trans.txt")) else root
    manifests = prepare_librispeech(parts_root, dataset_parts="auto")
    recordings = RecordingSet.from_recordings(r for m in manifests.values() for r in m["recordings"])
    supervisions = SupervisionSet.from_segments(s for m in manifests.values() for s in m["supervisions"])
    return Corpus(root.stem, root, "librispeech", recordings, supervisions)


def _librispeech_genders(path: Path) -> dict[str, str]:
    genders = {}
    if path.is_file():
        for line in path.read_text(errors="replace").splitlines():
            fields = [f.strip() for f in line.split("|")]
            if len(fields) >= 2 and not line.startswith(";"):
                genders[fields[0]] = fields[1]
    return genders


# -- manifests -------------------------------------------------------------------------
_LHOTSE_RECORDINGS = re.compile(r"^(?P<prefix>.*)recordings(?P<rest>.*\.jsonl(\.gz)?)$")
_VOXCELEB_FILE = re.compile(r"(id\d+)/([^/]+)/\d+\.(wav|m4a)$")


def lhotse_recordings_manifests(folder: Path) -> list[Path]:
    """The recordings manifests in ``folder`` as lhotse's recipes name them,
    ``<prefix>recordings<split>.jsonl[.gz]`` (``voxceleb_recordings_test.jsonl.gz``,
    ``ami-sdm_recordings_dev.jsonl.gz``; ``recordings.jsonl.gz`` as ``codecprobe corpus prepare``
    writes), each with its supervisions beside it (:func:`supervisions_manifest`)."""
    return sorted(p for p in folder.glob("*recordings*.jsonl*") if _LHOTSE_RECORDINGS.match(p.name))


def supervisions_manifest(recordings: Path) -> Path:
    """The supervisions manifest a recipe writes beside ``recordings``: ``recordings`` -> ``supervisions``."""
    match = _LHOTSE_RECORDINGS.match(recordings.name)
    return recordings.with_name(f"{match['prefix']}supervisions{match['rest']}")


def load_manifest(root: Path) -> Corpus:
    if root.is_dir() and (root / "corpus.json").exists() and (root / "recordings.jsonl.gz").exists():
        return Corpus.load(root)
    if root.is_file() and _LHOTSE_RECORDINGS.match(root.name):
        return load_lhotse_manifests(root)
    if root.is_dir() and (found := lhotse_recordings_manifests(root)):
        if len(found) > 1:
            raise InputError(f"{root}: lhotse manifests of {len(found)} splits ({', '.join(p.name for p in found)}); "
                             f"give one split's recordings manifest as --corpus, e.g. {found[0]}")
        return load_lhotse_manifests(found[0])
    path = root
    if root.is_dir():
        candidates = [root / "manifest.csv", root / "manifest.jsonl"]
        path = next((p for p in candidates if p.exists()), None)
        if path is None:
            raise InputError(f"{root}: no manifest.csv, manifest.jsonl or lhotse manifests in this folder")
    elif root.suffix.lower() in AUDIO_SUFFIXES:
        raise InputError(f"{root}: an audio file, not a corpus; give the folder that holds the corpus")
    rows = list(_manifest_rows(path))
    base = path.parent
    recordings, segments, failures = {}, [], []
    for line, row in rows:
        if not row.get("path"):
            raise InputError(f"{path}:{line}: missing 'path'")
        relative = row["path"]
        recording_id = segment_id_for_path(relative)
        if recording_id not in recordings:
            try:
                recordings[recording_id] = make_recording(recording_id, base / relative)
            except AudioError as error:
                failures.append((error.path, error.reason))
                continue
        recording = recordings[recording_id]
        try:
            start = float(row.get("start") or 0.0)
            end = float(row["end"]) if row.get("end") not in (None, "") else recording.duration
        except ValueError:
            raise InputError(f"{path}:{line}: start/end must be numbers") from None
        if not 0 <= start < end <= recording.duration + 1e-3:
            raise InputError(f"{path}:{line}: segment {start}-{end} s outside {relative} (0-{recording.duration:.3f} s)")
        segments.append(SupervisionSegment(
            id=row.get("id") or (recording_id if start == 0 and end >= recording.duration else f"{recording_id}_{start:.3f}_{end:.3f}"),
            recording_id=recording_id, start=start, duration=min(end, recording.duration) - start,
            speaker=row.get("speaker") or None, text=row.get("text") or None,
        ))
    return Corpus(path.stem, base, "manifest", RecordingSet.from_recordings(recordings.values()),
                  _segment_set(segments, path), failures=failures)


def load_lhotse_manifests(recordings_path: Path) -> Corpus:
    """A recordings manifest and the supervisions beside it, as lhotse's recipes write them
    (``prepare_voxceleb``, ``prepare_librispeech``, ``prepare_ami``...; see docs/verify.md).

    Segments are the supervisions, with lhotse's ids, spans and speakers (a supervision without a
    speaker takes part only through a trial list). Each recording is one audio file, downmixed
    when it has several channels; a relative path is read from the current folder, as lhotse does,
    and a missing file, or one in a format soundfile does not read (VoxCeleb2's m4a), is listed in
    ``Corpus.failures`` with its supervisions skipped. VoxCeleb utterances (``.../<speaker>/<video>/
    <utt>.wav``) get ``source`` ``<speaker>/<video>``, as in the ``voxceleb`` layout. Refused with a
    one-line error: recordings of several files (lhotse's AMI ``ihm`` and ``mdm`` mic settings, one
    file per headset or array channel) and sources that are not files.
    """
    supervisions_path = supervisions_manifest(recordings_path)
    if not supervisions_path.is_file():
        raise InputError(f"{recordings_path}: no supervisions manifest {supervisions_path.name} beside it")
    recordings = _read_lhotse(RecordingSet, recordings_path)
    kept, failures = [], []
    for recording in recordings:
        if len(recording.sources) != 1:
            raise InputError(f"{recordings_path}: recording {recording.id} has {len(recording.sources)} audio files (one "
                             "per channel: lhotse's AMI mic 'ihm' or 'mdm'); codecprobe reads one file per recording: "
                             "prepare with mic='ihm-mix' or 'sdm'")
        source = recording.sources[0]
        if source.type != "file":
            raise InputError(f"{recordings_path}: recording {recording.id} is a {source.type!r} source; codecprobe "
                             "reads audio files")
        path = os.path.abspath(source.source)
        if not os.path.isfile(path):
            failures.append((path, "no such file (relative paths in a lhotse manifest are read from the current folder)"))
        elif not path.lower().endswith(AUDIO_SUFFIXES):
            failures.append((path, f"not {', '.join(AUDIO_SUFFIXES)} (convert it, e.g. with ffmpeg)"))
        else:
            kept.append(fastcopy(recording, sources=[fastcopy(source, source=path)]))
    videos = {r.id: _VOXCELEB_FILE.search(r.sources[0].source.replace(os.sep, "/")) for r in kept}
    segments = []
    for segment in _read_lhotse(SupervisionSet, supervisions_path):
        if segment.recording_id not in recordings:
            raise InputError(f"{supervisions_path}: supervision {segment.id} names recording {segment.recording_id}, "
                             f"absent from {recordings_path.name}")
        if segment.recording_id in videos:
            video = videos[segment.recording_id]
            segments.append(fastcopy(segment, custom={**(segment.custom or {}), "source": f"{video[1]}/{video[2]}"})
                            if video else segment)
    return Corpus(recordings_path.name.split(".")[0], recordings_path.parent, "manifest",
                  RecordingSet.from_recordings(kept), _segment_set(segments, supervisions_path), failures=failures)


def _read_lhotse(manifest_class, path: Path):
    try:
        return manifest_class.from_file(path).to_eager()
    except (OSError, EOFError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"{path}: not a lhotse {manifest_class.__name__} manifest ({type(error).__name__}: "
                         f"{str(error).splitlines()[0] if str(error) else ''})") from None


def _manifest_rows(path: Path) -> Iterable[tuple[int, dict]]:
    if path.suffix == ".csv":
        for line, row in enumerate(csv.DictReader(io.StringIO(_manifest_text(path), newline="")), start=2):
            yield line, row
        return
    for line, text in enumerate(_manifest_text(path).splitlines(), start=1):
        if text.strip():
            try:
                yield line, json.loads(text)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{line}: invalid JSON ({error.msg})") from None


def _manifest_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a manifest (CSV or JSONL text); --corpus takes a corpus folder or a "
                         "manifest file") from None
    except OSError as error:
        raise InputError(f"{path}: cannot read the manifest ({error.strerror})") from None


# -- diarization corpora: whole recordings with reference turns ------------------------
def load_rttm_folder(root: Path) -> Corpus:
    """Audio files with RTTM references anywhere below ``root`` (e.g. VoxConverse's ``audio/`` and
    ``dev/`` folders side by side).

    A recording's id is its file name without extension; when the RTTMs name it only by the part
    before the first dot (AMI: ``ES2004a.Mix-Headset.wav`` is ``ES2004a`` in the RTTM), that part.

    Not lhotse's ``prepare_voxconverse`` / ``prepare_ami``: the first reads RTTMs without
    validation and only from beside each wav; the second builds segments from AMI's word-level
    XML annotations, not the RTTM references diarization is scored against. Here the RTTMs go
    through the scorer's own strict reader, so what a model sees is what gets scored. lhotse
    manifests made by those recipes load with the ``manifest`` layout.

    Speaker labels: an RTTM label names a speaker within its recording (pyAudioAnalysis' two
    files both call different people ``speakerA``), so a segment's speaker is
    ``<recording id>:<label>``. A corpus whose labels name the same person in every recording
    (simulated conversations built from a speaker-labelled corpus) says so in a file
    ``corpus.yaml`` at its root::

        speaker_labels: global   # or per-recording, the default

    and keeps its labels as they are.
    """
    turns = [turn for path in sorted(root.rglob("*.rttm")) for file_turns in read_rttm(path).values()
             for turn in file_turns]
    turns += [turn for path in sorted(root.rglob("*.segments")) for turn in read_segments(path)]
    referenced = {turn.recording_id for turn in turns}
    recordings, failures = {}, []
    for path in _audio_files(root):
        recording_id = path.stem if path.stem in referenced or path.stem.split(".")[0] not in referenced \
            else path.stem.split(".")[0]
        if recording_id in recordings:
            raise InputError(f"{path}: a second audio file for recording {recording_id!r}")
        try:
            recordings[recording_id] = make_recording(recording_id, path)
        except AudioError as error:
            failures.append((error.path, error.reason))
    global_labels = _speaker_labels(root) == "global"
    segments = [
        SupervisionSegment(id=f"{t.recording_id}-{i:06d}", recording_id=t.recording_id, start=t.start,
                           duration=t.duration, speaker=t.speaker if global_labels else f"{t.recording_id}:{t.speaker}")
        for i, t in enumerate(turns) if t.recording_id in recordings
    ]
    return Corpus(root.stem, root, "rttm", RecordingSet.from_recordings(recordings.values()),
                  SupervisionSet.from_segments(segments), whole_recordings=True, failures=failures)


SPEAKER_LABELS = ("per-recording", "global")


def _speaker_labels(root: Path) -> str:
    """``speaker_labels`` of ``root/corpus.yaml``: "per-recording" (also without the file) or "global"."""
    path = root / "corpus.yaml"
    if not path.is_file():
        return SPEAKER_LABELS[0]
    try:
        meta = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a YAML mapping ({type(error).__name__})") from None
    value = meta.get("speaker_labels", SPEAKER_LABELS[0]) if isinstance(meta, dict) else None
    if value not in SPEAKER_LABELS:
        raise InputError(f"{path}: speaker_labels must be one of {', '.join(SPEAKER_LABELS)}, got {value!r}")
    return value


# -- shared helpers --------------------------------------------------------------------
def _audio_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())


def _per_file_corpus(root: Path, layout: str, files: list[Path],
                     label: Callable[[Path], tuple[str | None, str | None]]) -> Corpus:
    """One recording and one whole-file segment per audio file; ``label`` gives (speaker, text)."""
    if not files:
        raise InputError(f"{root}: no audio files ({', '.join(AUDIO_SUFFIXES)}) found for layout {layout!r}")
    recordings, segments, failures = [], [], []
    for path in files:
        relative = path.relative_to(root)
        segment_id = segment_id_for_path(str(relative))
        try:
            recording = make_recording(segment_id, path)
        except AudioError as error:
            failures.append((error.path, error.reason))
            continue
        speaker, text = label(relative)
        recordings.append(recording)
        segments.append(SupervisionSegment(id=segment_id, recording_id=segment_id, start=0.0,
                                           duration=recording.duration, speaker=speaker, text=text))
    return Corpus(root.stem, root, layout, RecordingSet.from_recordings(recordings),
                  _segment_set(segments, root), failures=failures)


def _segment_set(segments: list[SupervisionSegment], source: Path) -> SupervisionSet:
    seen = set()
    for segment in segments:
        if segment.id in seen:
            raise InputError(f"{source}: duplicate segment id {segment.id!r}")
        seen.add(segment.id)
    return SupervisionSet.from_segments(segments)


LAYOUTS: dict[str, Callable[[Path], Corpus]] = {
    "speaker-folders": load_speaker_folders,
    "fsdd": load_fsdd,
    "librispeech": load_librispeech,
    "voxceleb": load_voxceleb,
    "rttm": load_rttm_folder,
    "manifest": load_manifest,
}
