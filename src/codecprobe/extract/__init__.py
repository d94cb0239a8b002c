"""Batched, resumable extraction of encoder taps over a corpus into the latent store.

The names below load on first use (``lazy_loader``): configs that name an
:class:`ExecutorConfig` do not import the extraction pipeline.
"""
import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach(__name__, submod_attrs={
    "executor": ["ExecutorConfig"],
    "pipeline": ["ExtractSummary", "ensure_extracted", "extract", "plan_batches"],
})
