"""Corpora: recordings and speaker-labelled segments (lhotse's data model), and loaders per layout."""
from codecprobe.data.corpus import Corpus, make_recording, segment_id_for_path, source_of
from codecprobe.data.layouts import LAYOUTS, load_corpus

__all__ = ["Corpus", "make_recording", "segment_id_for_path", "source_of", "LAYOUTS", "load_corpus"]
