"""One report skeleton for every study: a small data model and its one Markdown renderer.

A study computes a :class:`~codecprobe.report.results.Result` (numbers and verdicts) and
describes it as a :class:`Report` with its ``render(result)``; :func:`to_markdown` is the
only place that decides how a report looks. A report is:

- a title, and what ran on which data and which weights (``about``: blocks under the title,
  usually one bullet list);
- sections: paragraphs, bullet lists (e.g. the verdicts' thresholds in plain words),
  tables and figures (embedded by their path relative to the report, with a short label;
  a long label becomes a footnote; a table cell may be a :class:`Footnoted` short text whose
  long form becomes a footnote, each distinct note once);
- provenance: the config (as YAML) and the versions, both as saved with the result, so a
  report rendered again from ``results.json`` is the same byte for byte.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union


@dataclass(frozen=True)
class Footnoted:
    """A table cell shown as ``text`` with ``note`` (a long label, a full weights id) as its footnote."""

    text: str
    note: str


@dataclass
class Table:
    headers: list[str]
    rows: list[list[Any]]
    float_format: str = "{:.2f}"  # for float cells

    def markdown(self) -> str:
        from codecprobe.report.markdown import markdown_table

        return markdown_table(self.headers, self.rows, self.float_format)


@dataclass
class Figure:
    path: str  # relative to the report's folder
    label: str  # short: the image's alt text
    note: str | None = None  # a long label, rendered as a footnote


@dataclass
class Bullets:
    items: list[str]


Block = Union[str, Bullets, Table, Figure]  # a str is a paragraph


@dataclass
class Section:
    title: str | None  # None: the blocks follow the previous ones without a heading
    blocks: list[Block] = field(default_factory=list)


@dataclass
class Report:
    title: str
    about: list[Block]  # what ran on which data and which weights
    sections: list[Section]
    config: dict  # the study's config, as saved
    provenance: dict  # codecprobe.report.provenance(), as saved


def to_markdown(report: Report) -> str:
    """The report as Markdown (blocks apart by one blank line), ending in a newline."""
    notes: list[str] = []

    def mark(note: str) -> str:
        """The footnote mark of ``note``; a note met again keeps its first number."""
        if note not in notes:
            notes.append(note)
        return f"[^{notes.index(note) + 1}]"

    def cell(value: Any) -> Any:
        return f"{value.text}{mark(value.note)}" if isinstance(value, Footnoted) else value

    def block(item: Block) -> str:
        if isinstance(item, str):
            return item
        if isinstance(item, Bullets):
            return "\n".join(f"- {line}" for line in item.items)
        if isinstance(item, Table):
            return Table(item.headers, [[cell(v) for v in row] for row in item.rows], item.float_format).markdown()
        if item.note is None:
            return f"![{item.label}]({item.path})"
        return f"![{item.label}]({item.path}){mark(item.note)}"

    parts = [f"# {report.title}", *map(block, report.about)]
    for section in report.sections:
        if section.title is not None:
            parts.append(f"## {section.title}")
        parts += [block(item) for item in section.blocks]
    parts.append(_provenance(report))
    parts += [f"[^{i}]: {note}" for i, note in enumerate(notes, 1)]
    return "\n\n".join(parts) + "\n"


def _provenance(report: Report) -> str:
    import yaml

    meta = report.provenance
    versions = ", ".join(f"{k} {v}" for k, v in meta["versions"].items() if v)
    return (f"## Config\n\n```yaml\n{yaml.safe_dump(report.config, sort_keys=False)}```\n\n"
            f"## Versions\n\n{versions}; Python {meta['python']} on {meta['platform']}; {meta['created']}")
