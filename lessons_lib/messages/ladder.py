"""The model ladder (lesson 01): the bundled model and the shelf's models measured side by side."""

EN: dict[str, str] = {
    "col_model": "model",
    "col_kind": "kind",
    "col_params": "parameters",
    "col_file": "file (MB)",
    "col_ram": "RAM in use (MB)",
    "col_prompt": "prompt tok/s",
    "col_gen": "gen tok/s",
    "col_accuracy": "gold accuracy ({n} keywords)",
    "axis_file": "file size (MB)",
    "axis_accuracy": "accuracy on {n} gold keywords",
    "axis_gen": "generation speed (tok/s)",
    "chance": "chance (10 categories)",
}

PL: dict[str, str] = {
    "col_model": "model",
    "col_kind": "rodzaj",
    "col_params": "parametry",
    "col_file": "plik (MB)",
    "col_ram": "zajęta RAM (MB)",
    "col_prompt": "prompt tok/s",
    "col_gen": "generowanie tok/s",
    "col_accuracy": "trafność (złoty zbiór, n = {n})",
    "axis_file": "rozmiar pliku (MB)",
    "axis_accuracy": "trafność na złotym zbiorze (n = {n})",
    "axis_gen": "szybkość generowania (tok/s)",
    "chance": "losowe zgadywanie (10 kategorii)",
}
