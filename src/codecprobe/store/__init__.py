"""The on-disk latent store: compressed frame arrays in shards plus a SQLite index.

Commands and studies open it with :func:`open_store`; where none is named it is
:data:`DEFAULT_STORE`. The names below load on first use (``lazy_loader``), so configs
can name the default without importing the store.
"""
import lazy_loader

DEFAULT_STORE = "runs/store"  # relative to the current folder, as every command's --store says

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "latent_store": ["LatentStore", "StoredEntry", "encoder_key", "open_store"],
})
__all__ = ["DEFAULT_STORE", *__all__]
