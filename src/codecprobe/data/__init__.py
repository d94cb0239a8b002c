"""Corpora and the time data model.

* speaker turns (:mod:`codecprobe.data.turns`), RTTM and UEM files (:mod:`codecprobe.data.rttm`,
  :mod:`codecprobe.data.uem`): light, numpy only;
* corpora: recordings and speaker-labelled segments (lhotse's data model) and loaders per layout
  (:mod:`codecprobe.data.corpus`, :mod:`codecprobe.data.layouts`), imported on first use so that
  reading an RTTM does not import lhotse.
"""
from codecprobe.data.turns import Turn, Turns

_LAZY = {"Corpus": "corpus", "make_recording": "corpus", "segment_id_for_path": "corpus", "source_of": "corpus",
         "LAYOUTS": "layouts", "load_corpus": "layouts"}

__all__ = ["Turn", "Turns", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"codecprobe.data.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'codecprobe.data' has no attribute {name!r}")
