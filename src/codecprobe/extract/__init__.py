"""Batched, resumable extraction of encoder taps over a corpus into the latent store."""
from codecprobe.extract.executor import ExecutorConfig
from codecprobe.extract.pipeline import ExtractSummary, ensure_extracted, extract, plan_batches

__all__ = ["ExecutorConfig", "ExtractSummary", "ensure_extracted", "extract", "plan_batches"]
