"""The teaching models: real Ollama names, published download sizes, shapes, languages.

`data` holds the catalog (every size with its source), `lookup` finds a model by key or Ollama
name, `stand_in` is the course's rule for a model the machine lacks, `table` the lesson-00 table.
"""

from .data import CATALOG
from .entries import CatalogModel, Variant
from .lookup import find, parse_name
from .stand_in import Choice, choose_model
from .table import fit_table

__all__ = [
    "Variant",
    "CatalogModel",
    "CATALOG",
    "Choice",
    "parse_name",
    "find",
    "choose_model",
    "fit_table",
]
