"""Managing models from Python (lessons_lib.models): finding them, pulling, the memory hint, Modelfiles.

The tables `ollama list` and `ollama ps` print keep Ollama's own headers and words (NAME, SIZE, 100% CPU).
"""

EN: dict[str, str] = {
    "not_found": (
        "No model named {name!r} in {where}.\nAvailable: {available}.\n"
        "Pull it first (`ollama pull {name}`), or check the spelling and the tag after the colon."
    ),
    "no_stores": "no model folder (none of: {paths})",
    "nothing": "(none)",
    "plan_registry": "Pulling {name} from Ollama's registry (registry.ollama.ai).",
    "plan_mirror": (
        "{why}: pulling {name} from the course's registry mirror at {url}, which serves the models in "
        "{root}. Same protocol, same progress lines; layers already on this machine are not downloaded again."
    ),
    "why_ci": "WORKBOOK_BACKEND=embedded (CI or a workshop, no internet by design)",
    "why_offline": "Ollama's registry did not answer",
    "hint": "{name}: {size} on disk; at a {ctx}-token context it needs about {need} of memory. {verdict}",
    "measure_note": "weights {weights} + KV cache {kv} + compute {compute} + headroom {headroom}",
    "err_modelfile_gguf": (
        "FROM {path}: a GGUF file is uploaded first, then named in `files`: "
        "digest = client.create_blob(path); client.create(model=..., files={{'model.gguf': digest}})"
    ),
    "err_modelfile_line": (
        "Modelfile instruction {n}: unknown instruction {word!r} "
        "(expected FROM, PARAMETER, SYSTEM, TEMPLATE, LICENSE, MESSAGE)"
    ),
    "err_modelfile_from": "a Modelfile needs a FROM line (the model or GGUF file to start from)",
    "err_modelfile_adapter": "ADAPTER (LoRA) is not covered by this course's helper",
    "err_modelfile_unreadable": (
        "Modelfile: cannot read {text!r} (each instruction starts a line: FROM, PARAMETER, SYSTEM, ...)"
    ),
    "err_modelfile_quotes": 'Modelfile instruction {n}: {word} opens """ but never closes it',
    "err_modelfile_empty": "Modelfile instruction {n}: {word} needs a value",
    "err_modelfile_parameter": (
        "Modelfile instruction {n}: PARAMETER needs a name and a value, e.g. PARAMETER temperature 0.7"
    ),
    "err_modelfile_role": (
        'Modelfile instruction {n}: MESSAGE needs a role ("system", "user" or "assistant") and a text, '
        "e.g. MESSAGE user Hello"
    ),
    # llama.cpp's quantizer (lessons_lib.llama.quantize)
    "err_unknown_kind": "unknown quantization {kind!r}; choose one of: {known}",
    "err_needs_imatrix": (
        "{kind} needs an importance matrix (llama.cpp's llama-imatrix tool), which this course does not "
        "compute; use Q2_K or a higher type"
    ),
    "err_no_source": "source model not found: {path}",
    "err_same_file": "the destination must differ from the source ({path})",
    "err_requantize": (
        "{name} is already quantized ({type}); quantizing it again stacks the errors. Start from an "
        "F16/BF16/F32 GGUF (see lessons_lib.quant.dequantize) or pass allow_requantize=True."
    ),
    "err_failed": "llama.cpp could not quantize {name} to {kind}: {reason}",
    "err_unknown_reason": "no reason given (see the log above)",
}

PL: dict[str, str] = {
    "not_found": (
        "Nie ma modelu o nazwie {name!r} w {where}.\nDostępne: {available}.\n"
        "Najpierw go pobierz (`ollama pull {name}`) albo sprawdź pisownię i tag po dwukropku."
    ),
    "no_stores": "brak folderu z modelami (żadnego z: {paths})",
    "nothing": "(brak)",
    "plan_registry": "Pobieram {name} z rejestru Ollamy (registry.ollama.ai).",
    "plan_mirror": (
        "{why}: pobieram {name} z lustra rejestru kursu pod adresem {url}, które udostępnia modele z {root}. "
        "Ten sam protokół i te same linie postępu; warstw, które już są na tej maszynie, nie pobiera się ponownie."
    ),
    "why_ci": "WORKBOOK_BACKEND=embedded (CI albo warsztaty, celowo bez internetu)",
    "why_offline": "rejestr Ollamy nie odpowiedział",
    "hint": "{name}: {size} na dysku; przy oknie kontekstu {ctx} tokenów potrzebuje około {need} pamięci. {verdict}",
    "measure_note": "wagi {weights} + pamięć KV {kv} + obliczenia {compute} + zapas {headroom}",
    "err_modelfile_gguf": (
        "FROM {path}: plik GGUF najpierw się wysyła, a potem podaje w `files`: "
        "digest = client.create_blob(path); client.create(model=..., files={{'model.gguf': digest}})"
    ),
    "err_modelfile_line": (
        "Modelfile, instrukcja {n}: nieznana instrukcja {word!r} "
        "(oczekiwane FROM, PARAMETER, SYSTEM, TEMPLATE, LICENSE, MESSAGE)"
    ),
    "err_modelfile_from": "Modelfile wymaga linii FROM (model albo plik GGUF, od którego zaczynamy)",
    "err_modelfile_adapter": "ADAPTER (LoRA) wykracza poza pomocnika tego kursu",
    "err_modelfile_unreadable": (
        "Modelfile: nie da się odczytać {text!r} (każda instrukcja zaczyna linię: FROM, PARAMETER, SYSTEM, ...)"
    ),
    "err_modelfile_quotes": 'Modelfile, instrukcja {n}: {word} otwiera """, ale go nie zamyka',
    "err_modelfile_empty": "Modelfile, instrukcja {n}: {word} wymaga wartości",
    "err_modelfile_parameter": (
        "Modelfile, instrukcja {n}: PARAMETER wymaga nazwy i wartości, np. PARAMETER temperature 0.7"
    ),
    "err_modelfile_role": (
        'Modelfile, instrukcja {n}: MESSAGE wymaga roli ("system", "user" albo "assistant") i tekstu, '
        "np. MESSAGE user Cześć"
    ),
    "err_unknown_kind": "nieznana kwantyzacja {kind!r}; wybierz jedną z: {known}",
    "err_needs_imatrix": (
        "{kind} wymaga macierzy ważności (narzędzie llama-imatrix z llama.cpp), której ten kurs nie liczy; "
        "użyj Q2_K albo wyższego typu"
    ),
    "err_no_source": "nie znaleziono modelu źródłowego: {path}",
    "err_same_file": "plik docelowy musi być inny niż źródłowy ({path})",
    "err_requantize": (
        "{name} jest już skwantyzowany ({type}); ponowna kwantyzacja kumuluje błędy. Zacznij od pliku GGUF "
        "w F16/BF16/F32 (zob. lessons_lib.quant.dequantize) albo przekaż allow_requantize=True."
    ),
    "err_failed": "llama.cpp nie zdołał skwantyzować {name} do {kind}: {reason}",
    "err_unknown_reason": "brak podanej przyczyny (zob. log powyżej)",
}
