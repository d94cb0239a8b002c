"""The on-disk latent store: compressed frame arrays in shards plus a SQLite index."""
from codecprobe.store.latent_store import LatentStore, StoredEntry, encoder_key

__all__ = ["LatentStore", "StoredEntry", "encoder_key"]
