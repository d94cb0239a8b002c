"""Markdown tables for reports."""
from __future__ import annotations

import re
from typing import Any, Sequence


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], float_format: str = "{:.2f}") -> str:
    """A GitHub-flavoured Markdown table; floats are formatted with ``float_format``.

    >>> print(markdown_table(["file", "DER"], [["a", 12.3456], ["TOTAL", 10]]))
    | file | DER |
    |---|---|
    | a | 12.35 |
    | TOTAL | 10 |
    """
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return float_format.format(value)
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(map(str, headers)) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def slug(text: str) -> str:
    """``text`` as a file-name part: every run of other characters than letters, digits, ``_.-`` becomes ``_``.

    >>> slug("lyra:latent (UNTRAINED)")
    'lyra_latent_UNTRAINED_'
    """
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)


def minutes(seconds: float) -> str:
    """A duration for tables (``n/a`` for NaN).

    >>> minutes(90.0), minutes(float("nan"))
    ('1.5 min', 'n/a')
    """
    return "n/a" if seconds != seconds else f"{seconds / 60:.1f} min"
