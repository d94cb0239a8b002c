"""A resumable, crash-safe cache of encoder outputs.

Layout of a store folder::

    index.sqlite          one row per (segment, encoder identity, tap)
    shards/<uuid>.npz     deflate-compressed arrays, one zip member per row

Why not zarr + parquet (the seeds' choice): a batch of variable-length arrays would
need a ragged layout or one array per utterance, and neither format commits a batch
atomically. Here a batch is written as one shard (temporary file, fsync, rename) and
only then indexed in one SQLite transaction, so a run killed at any moment leaves
either a complete batch or none (at worst an unindexed shard, which ``vacuum``
removes). Reading one utterance decompresses one zip member; nothing else is loaded.

Writing a shard (:func:`write_shard`) needs no index, so any process can do it, e.g.
the workers of a Ray job writing into a shared store folder; indexing its rows
(:meth:`LatentStore.commit`) is left to the one process that holds the store open,
so the index keeps a single writer. ``put_many`` is the two in one process.

Rows are keyed by segment id, tap and an *encoder key*: a hash of encoder name,
weights identity and every setting that changes the numbers. Each row also records the
segment's source fingerprint (file size and mtime, span); a segment whose audio or span
changed is extracted again.

Opening: ``mode="w"`` (the default) creates the store if needed; a store the user cannot
write (a colleague's, a read-only mount) opens for reading, and only writing to it is an
error. ``mode="r"`` never writes. Files get the permissions the user's umask gives, so a
shared store is readable by whoever the umask allows. A path that is a file, a corrupt
index, a missing or truncated shard: each is one :class:`~codecprobe.errors.InputError`
naming the path.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Literal, Sequence

import numpy as np

from codecprobe.encoders.base import EncoderIdentity
from codecprobe.errors import InputError
from codecprobe.report.files import atomic_write_bytes

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    segment_id  TEXT NOT NULL,
    encoder_key TEXT NOT NULL,
    tap         TEXT NOT NULL,
    encoder     TEXT NOT NULL,
    weights_id  TEXT NOT NULL,
    trained     INTEGER NOT NULL,
    settings    TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    frames      INTEGER NOT NULL,
    dim         INTEGER NOT NULL,
    frame_rate  REAL NOT NULL,
    shard       TEXT NOT NULL,
    member      TEXT NOT NULL,
    PRIMARY KEY (segment_id, encoder_key, tap)
);
"""


def encoder_key(identity: EncoderIdentity) -> str:
    """A short hash of everything about an encoder that changes its output."""
    payload = json.dumps(
        {"encoder": identity.encoder, "weights": identity.weights_id, "settings": identity.settings},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class StoredEntry:
    segment_id: str
    encoder: str
    tap: str
    weights_id: str
    trained: bool
    settings: dict
    frames: int
    dim: int
    frame_rate: float
    fingerprint: str


@dataclass(frozen=True)
class NewEntry:
    """One array to add: ``frames`` is ``[T, D]`` float32."""

    segment_id: str
    tap: str
    fingerprint: str
    frames: np.ndarray
    frame_rate: float


@dataclass(frozen=True)
class ShardRow:
    """One array of a written shard, described as the index records it."""

    segment_id: str
    tap: str
    fingerprint: str
    frames: int
    dim: int
    frame_rate: float
    member: str  # its zip member inside the shard


@dataclass(frozen=True)
class WrittenShard:
    """A shard on disk whose rows are not indexed yet (see :meth:`LatentStore.commit`)."""

    name: str
    rows: tuple[ShardRow, ...]


def write_shard(root: str | os.PathLike, entries: Sequence[NewEntry]) -> WrittenShard:
    """Write one batch's arrays as a new shard in ``root/shards``, atomically; the index is not touched.

    Safe in any process and in several at once (every shard gets a fresh name). Until its
    rows are committed the shard is invisible to readers and ``vacuum`` deletes it.
    """
    for entry in entries:  # a NaN latent would poison every mean it enters, silently
        if not np.isfinite(entry.frames).all():
            raise ValueError(f"{entry.segment_id} / {entry.tap}: non-finite frames are not stored")
    name = f"{uuid.uuid4().hex}.npz"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for index, entry in enumerate(entries):
            with archive.open(f"{index}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.ascontiguousarray(entry.frames, dtype=np.float32))
    atomic_write_bytes(Path(root) / "shards" / name, buffer.getvalue())
    return WrittenShard(name, tuple(
        ShardRow(e.segment_id, e.tap, e.fingerprint, int(e.frames.shape[0]), int(e.frames.shape[1]),
                 float(e.frame_rate), f"{i}.npy")
        for i, e in enumerate(entries)
    ))


def open_store(path: str | os.PathLike | None = None, mode: Literal["r", "w", "existing"] = "w") -> "LatentStore":
    """The latent store at ``path`` (None: ``codecprobe.store.DEFAULT_STORE``), as every command and study opens it.

    ``mode``: ``"w"`` creates it if needed (and reads only, where the folder cannot be written);
    ``"r"`` never writes; ``"existing"`` writes but refuses a path that holds no store yet.
    """
    from codecprobe.store import DEFAULT_STORE

    path = DEFAULT_STORE if path is None else path
    if mode == "existing":
        LatentStore(path, mode="r").close()  # the one-line error for a path with no store
        mode = "w"
    return LatentStore(path, mode=mode)


class LatentStore:
    def __init__(self, root: str | os.PathLike, mode: Literal["r", "w"] = "w"):
        self.root = Path(root)
        index = self.root / "index.sqlite"
        if self.root.exists() and not self.root.is_dir():
            raise InputError(f"{self.root}: not a latent store folder (it is a file)")
        if mode == "r" and not index.is_file():
            raise InputError(f"{self.root}: not a latent store (no index.sqlite)")
        self.writable = mode == "w" and (not self.root.exists() or os.access(self.root, os.W_OK))
        try:
            if self.writable:
                (self.root / "shards").mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(index, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(_SCHEMA)
            else:
                # a folder we cannot write cannot take SQLite's WAL lock file: read it as immutable
                flag = "mode=ro" if os.access(self.root, os.W_OK) else "immutable=1"
                self._db = sqlite3.connect(f"{index.absolute().as_uri()}?{flag}", uri=True, isolation_level=None)
            self._db.execute("SELECT 1 FROM entries LIMIT 1").fetchone()
        except sqlite3.DatabaseError as error:
            raise InputError(f"{index}: not a readable latent store index ({error})") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> "LatentStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------
    def put_many(self, identity: EncoderIdentity, entries: Sequence[NewEntry]) -> None:
        """Write one batch atomically: the shard first, then its index rows in one transaction."""
        if entries:
            self.require_writable(identity, len(entries))
            self.commit(identity, write_shard(self.root, entries))

    def commit(self, identity: EncoderIdentity, shard: WrittenShard) -> None:
        """Index the rows of a shard written by :func:`write_shard` (in this or another process), in one transaction."""
        self.require_writable(identity, len(shard.rows))
        key = encoder_key(identity)
        settings = json.dumps(identity.settings, sort_keys=True, default=str)
        rows = [
            (r.segment_id, key, r.tap, identity.encoder, identity.weights_id, int(identity.trained), settings,
             r.fingerprint, r.frames, r.dim, r.frame_rate, shard.name, r.member)
            for r in shard.rows
        ]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def require_writable(self, identity: EncoderIdentity, count: int) -> None:
        """Refuse, in one line, to add ``count`` arrays of ``identity`` to a store opened read-only."""
        if not self.writable:
            raise InputError(f"{self.root}: the latent store is read-only here, and {count} array(s) of "
                             f"{identity.encoder} are not in it yet; use a store you can write (--store DIR)")

    # -- reading ---------------------------------------------------------------
    def fingerprints(self, identity: EncoderIdentity, tap: str) -> dict[str, str]:
        """segment id -> source fingerprint of every stored row for this encoder and tap."""
        cursor = self._db.execute(
            "SELECT segment_id, fingerprint FROM entries WHERE encoder_key=? AND tap=?", (encoder_key(identity), tap)
        )
        return dict(cursor.fetchall())

    def frame_counts(self, identity: EncoderIdentity, tap: str) -> dict[str, int]:
        """segment id -> number of stored frames, for every stored row of this encoder and tap (no array is read)."""
        cursor = self._db.execute(
            "SELECT segment_id, frames FROM entries WHERE encoder_key=? AND tap=?", (encoder_key(identity), tap)
        )
        return dict(cursor.fetchall())

    def frame_rate(self, identity: EncoderIdentity, tap: str) -> float:
        """The frame rate of a tap's stored arrays (one rate per encoder and tap)."""
        row = self._db.execute("SELECT frame_rate FROM entries WHERE encoder_key=? AND tap=? LIMIT 1",
                               (encoder_key(identity), tap)).fetchone()
        if row is None:
            raise KeyError(f"nothing stored for {identity.encoder}:{tap} ({identity.weights_id}) in {self.root}")
        return float(row[0])

    def read(self, segment_id: str, identity: EncoderIdentity, tap: str) -> np.ndarray:
        """The ``[frames, dim]`` array of one segment; ``KeyError`` if it was never extracted."""
        row = self._db.execute(
            "SELECT shard, member FROM entries WHERE segment_id=? AND encoder_key=? AND tap=?",
            (segment_id, encoder_key(identity), tap),
        ).fetchone()
        if row is None:
            raise KeyError(f"{segment_id} / {identity.encoder}:{tap} ({identity.weights_id}) is not in {self.root}")
        with self._shard(row[0]) as archive:
            return self._member(archive, row[0], row[1])

    def read_many(self, segment_ids: Iterable[str], identity: EncoderIdentity, tap: str) -> Iterator[tuple[str, np.ndarray]]:
        """``(segment_id, array)`` for each id, opening every shard once."""
        wanted = list(segment_ids)
        key = encoder_key(identity)
        rows = {}
        for start in range(0, len(wanted), 900):  # SQLite caps the number of bound parameters
            chunk = wanted[start:start + 900]
            cursor = self._db.execute(
                f"SELECT segment_id, shard, member FROM entries WHERE encoder_key=? AND tap=? "
                f"AND segment_id IN ({','.join('?' * len(chunk))})", (key, tap, *chunk))
            rows.update({segment: (shard, member) for segment, shard, member in cursor})
        missing = [s for s in wanted if s not in rows]
        if missing:
            raise KeyError(f"{len(missing)} segment(s) not extracted for {identity.encoder}:{tap}, e.g. {missing[0]}")
        by_shard: dict[str, list[tuple[str, str]]] = {}
        for segment in wanted:
            shard, member = rows[segment]
            by_shard.setdefault(shard, []).append((segment, member))
        for shard, members in by_shard.items():
            with self._shard(shard) as archive:
                for segment, member in members:
                    yield segment, self._member(archive, shard, member)

    def _shard(self, name: str) -> zipfile.ZipFile:
        path = self.root / "shards" / name
        try:
            return zipfile.ZipFile(path)
        except FileNotFoundError:
            raise InputError(f"{path}: shard missing from the latent store (deleted or not copied); "
                             "rerun the extraction into a fresh store") from None
        except (zipfile.BadZipFile, OSError) as error:
            raise InputError(f"{path}: damaged shard of the latent store ({error})") from None

    @staticmethod
    def _member(archive: zipfile.ZipFile, shard: str, member: str) -> np.ndarray:
        try:
            with archive.open(member) as handle:
                return np.lib.format.read_array(handle)
        except (KeyError, ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error) as error:
            raise InputError(f"{archive.filename}: damaged shard of the latent store, member {member} "
                             f"({type(error).__name__}: {error})") from None

    def entries(self) -> list[StoredEntry]:
        cursor = self._db.execute(
            "SELECT segment_id, encoder, tap, weights_id, trained, settings, frames, dim, frame_rate, fingerprint "
            "FROM entries ORDER BY encoder, weights_id, tap, segment_id"
        )
        return [StoredEntry(s, e, t, w, bool(tr), json.loads(st), f, d, fr, fp) for s, e, t, w, tr, st, f, d, fr, fp in cursor]

    # -- housekeeping ----------------------------------------------------------
    def vacuum(self) -> int:
        """Delete shards no row points to (left by a crash or by re-extraction); returns how many."""
        if not self.writable:
            raise InputError(f"{self.root}: the latent store is read-only here; vacuum deletes files from it")
        used = {row[0] for row in self._db.execute("SELECT DISTINCT shard FROM entries")}
        removed = 0
        for path in (self.root / "shards").iterdir():
            if path.name not in used:
                path.unlink()
                removed += 1
        return removed
