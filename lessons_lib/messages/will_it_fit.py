"""The will-it-fit widget (lessons_lib.widgets.will_it_fit)."""

EN: dict[str, str] = {
    "model": "Model",
    "quant": "Quantization",
    "ctx": "Context (tokens)",
    "kv": "KV cache type",
    "row_weights": "Weights",
    "row_kv": "KV cache",
    "row_compute": "Compute buffer",
    "row_headroom": "Headroom (runtime, OS)",
    "row_total": "Total needed",
    "row_ram": "This machine: RAM + swap available",
    "row_gpu": "This machine: {gpu} free",
    "col_bytes": "bytes",
    "col_size": "size",
    "source_published": "weights: the published download of {name}",
    "source_estimated": (
        "weights: estimated, {params:.2f}B parameters x {bpw:.2f} bits (llama.cpp's {quant} file of Llama 3.1 8B); "
        "no published {quant} download of this model in the course catalog"
    ),
    "context_note": "n_ctx = {n_ctx:,} ({model} supports up to {context_max:,})",
    "verdict_ok": "✅ {message}",
    "verdict_no": "❌ {message}",
    "kv_note": "A quantized KV cache needs flash attention; it is switched on for this estimate.",
    "error": "Cannot estimate: {error}",
    "err_model": "no model {model!r} in the course catalog; choose a key or an Ollama name: {known}",
    "err_choice": "{what} must be one of: {known}; got {value!r}",
    "err_ctx": "the context must be a whole number of tokens above 0, got {value!r}",
}

PL: dict[str, str] = {
    "model": "Model",
    "quant": "Kwantyzacja",
    "ctx": "Okno kontekstu (tokeny)",
    "kv": "Typ pamięci KV",
    "row_weights": "Wagi",
    "row_kv": "Pamięć podręczna KV",
    "row_compute": "Bufor obliczeń",
    "row_headroom": "Zapas (środowisko, system)",
    "row_total": "Razem potrzeba",
    "row_ram": "Ta maszyna: dostępny RAM + swap",
    "row_gpu": "Ta maszyna: wolne na {gpu}",
    "col_bytes": "bajty",
    "col_size": "rozmiar",
    "source_published": "wagi: opublikowany plik {name}",
    "source_estimated": (
        "wagi: szacunek, {params:.2f} mld parametrów x {bpw:.2f} bitu (plik {quant} modelu Llama 3.1 8B "
        "według llama.cpp); w katalogu kursu nie ma opublikowanego pliku {quant} tego modelu"
    ),
    "context_note": "n_ctx = {n_ctx:,} ({model} obsługuje do {context_max:,})",
    "verdict_ok": "✅ {message}",
    "verdict_no": "❌ {message}",
    "kv_note": "Skwantyzowana pamięć KV wymaga flash attention; w tym szacunku jest włączona.",
    "error": "Nie da się oszacować: {error}",
    "err_model": "w katalogu kursu nie ma modelu {model!r}; wybierz klucz albo nazwę z Ollamy: {known}",
    "err_choice": "{what}: dozwolone wartości to {known}; podano {value!r}",
    "err_ctx": "okno kontekstu musi być całkowitą liczbą tokenów większą od 0, podano {value!r}",
}
