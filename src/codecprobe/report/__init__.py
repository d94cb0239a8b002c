"""Shared pieces of every report: atomic writes, Markdown tables, provenance."""
from codecprobe.report.files import atomic_write_bytes, atomic_write_text, write_json
from codecprobe.report.markdown import markdown_table, minutes, slug
from codecprobe.report.provenance import provenance

__all__ = ["atomic_write_bytes", "atomic_write_text", "write_json", "markdown_table", "minutes", "provenance", "slug"]
