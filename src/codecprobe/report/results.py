"""A study's saved result, and ``codecprobe report``: render any study's report again from it.

Every study's result is a dataclass deriving from :class:`Result`: its fields are what
``results.json`` holds (snake_case, the config and the provenance among them), and
:meth:`Result.load` reads the file back into the same typed object. :func:`write_study`
saves a result and renders its report; :func:`rerender` does the second half alone, from
``results.json`` (dispatching on its ``study`` field), without recomputing anything.
Figures are drawn by the study when it runs (they need arrays the result does not keep);
the report embeds them by name.
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import os
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from codecprobe.errors import InputError

R = TypeVar("R", bound="Result")

# the file each study saves its result in (the names predate the skeleton; simulate's folder is a corpus)
RESULT_FILES = ("results.json", "simulation.json", "summary.json", "demo.json", "boundaries.json")


@dataclasses.dataclass
class Result:
    """Base of every study's result. Subclasses set ``study`` (its name, saved in results.json) and
    ``renderer`` (``"module:function"`` that turns the result into a :class:`~codecprobe.report.model.Report`;
    the module imports no torch at its top). Nothing else registers a study: results.json names its
    own type (``result_type``), so ``codecprobe report`` finds the class and the renderer from the file."""

    study: ClassVar[str]
    renderer: ClassVar[str]
    filename: ClassVar[str] = "results.json"
    report_name: ClassVar[str] = "report.md"

    def to_dict(self) -> dict[str, Any]:
        return {"study": self.study, "result_type": f"{type(self).__module__}:{type(self).__qualname__}"} | \
            dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[R], data: dict, where: str = "results") -> R:
        from codecprobe.config import build_dataclass

        return build_dataclass(cls, {k: v for k, v in data.items() if k not in ("study", "result_type")}, where)

    @classmethod
    def load(cls: type[R], path: str | os.PathLike) -> R:
        data = _read(Path(path))
        if data.get("study") != cls.study:
            raise InputError(f"{path}: results of study {data.get('study')!r}, not {cls.study!r}")
        return cls.from_dict(data, str(path))

    def save(self, out: str | os.PathLike) -> None:
        """``OUT/results.json`` (``filename``) and the config alone as ``OUT/config.yaml`` (rerun it with --config)."""
        from codecprobe.config import save_config
        from codecprobe.report.files import write_json

        write_json(Path(out) / self.filename, self.to_dict())
        if dataclasses.is_dataclass(getattr(self, "config", None)):  # boundaries has options, not a config
            save_config(self.config, Path(out) / "config.yaml")


def write_study(result: Result, out: str | os.PathLike) -> Path:
    """Save ``result`` in ``out`` and write its report from what was saved (as ``codecprobe report`` will:
    NaN saved as null, tuples as lists); returns the report's path."""
    result.save(out)
    return write_report(type(result).load(Path(out) / result.filename), out)


def write_report(result: Result, out: str | os.PathLike) -> Path:
    from codecprobe.report.files import atomic_write_text
    from codecprobe.report.model import to_markdown

    path = Path(out) / result.report_name
    atomic_write_text(path, to_markdown(_named(type(result).renderer, path)(result)))
    return path


def load_result(out: str | os.PathLike) -> Result:
    """The result saved in the study folder ``out``, as its study's typed object."""
    path = next((Path(out) / name for name in RESULT_FILES if (Path(out) / name).is_file()), Path(out) / RESULT_FILES[0])
    result_type = _read(path).get("result_type")
    cls = _named(result_type, path) if isinstance(result_type, str) else None
    if not (isinstance(cls, type) and issubclass(cls, Result)):
        raise InputError(f"{path}: not a codecprobe study's results (result_type {result_type!r})")
    return cls.load(path)


def _named(name: str, where: Path) -> Any:
    """The object ``"codecprobe.package.module:attribute"`` names (nothing outside codecprobe is imported)."""
    module, _, attribute = name.partition(":")
    if not module.startswith("codecprobe.") or not attribute:
        raise InputError(f"{where}: {name!r} names nothing in codecprobe")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError):
        raise InputError(f"{where}: {name!r} names nothing in this codecprobe version") from None


def rerender(out: str | os.PathLike) -> Path:
    """Write ``out/report.md`` (the demo: ``demo.md``) again from the saved result, computing nothing."""
    return write_report(load_result(out), out)


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not JSON ({error.msg}, line {error.lineno})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a study's results (the top level is not a mapping)")
    return data
