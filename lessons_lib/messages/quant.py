"""The quantization lab (lessons_lib.quant): plots, progress bars, errors and notes.

The result tables keep their column names (type, size (MB), PPL, KLD, tok/s ...): lessons index them
by name, and the same code runs in both editions.
"""

EN: dict[str, str] = {
    "title_ours": "{model} (measured here)",
    "title_quality": "Size versus quality",
    "title_speed": "Generation speed versus bits per weight",
    "label_size_mb": "file size (MB)",
    "label_size_gib": "file size (GiB)",
    "label_kld": "KL divergence from F16 (log scale, lower is better)",
    "label_bpw": "bits per weight",
    "label_tg": "generation tokens/s",
    "title_published": "Llama 3 8B (llama.cpp, published)",
    "title_published_speed": "Llama 3.1 8B (llama.cpp, published)",
    "original": "{name}: already {type}, used as it is",
    "stored_in_f16": (
        "the {type} model stored in F16 (dequantized from {name}; its {type} rounding stays in every variant)"
    ),
    "err_not_found": "model file not found: {path}",
    "err_unsupported": (
        "the gguf package cannot dequantize tensor {tensor} of type {type}; start from an F16/BF16 GGUF "
        "or from a model in another quantization"
    ),
    "err_no_model": (
        "no GGUF found for {model!r}: pass a path to a .gguf file, the bundled 'smollm2:135m', or the "
        "name of a model in your Ollama store (`ollama pull {model}` first)"
    ),
    "err_no_reference": "the variants must include {ref}: KL divergence and top-1 agreement are measured against it",
    "err_kv_type": "unknown KV cache type {kv!r}; choose from: {known}",
    "bar_quantize": "quantizing",
    "bar_dequantize": "dequantizing to F16",
    "bar_measure": "measuring",
    "bar_kv": "KV cache types",
    "err_too_short": (
        "the {part} text has {n} tokens; perplexity with n_ctx={n_ctx} needs at least {need} "
        "(two chunks). Use a smaller n_ctx or a longer text."
    ),
    "err_ctx": "n_ctx must be an even number of at least 8, got {n_ctx}",
    "err_mismatch": "the reference and the variant were scored on different tokens; use variants of one model",
}

PL: dict[str, str] = {
    "title_ours": "{model} (zmierzone tutaj)",
    "title_quality": "Rozmiar a jakość",
    "title_speed": "Szybkość generowania a liczba bitów na wagę",
    "label_size_mb": "rozmiar pliku (MB)",
    "label_size_gib": "rozmiar pliku (GiB)",
    "label_kld": "dywergencja KL od F16 (skala log.; mniej = lepiej)",
    "label_bpw": "bity na wagę",
    "label_tg": "generowanie, tokeny/s",
    "title_published": "Llama 3 8B (llama.cpp, dane opublikowane)",
    "title_published_speed": "Llama 3.1 8B (llama.cpp, dane opublikowane)",
    "original": "{name}: już jest w {type}, użyty bez zmian",
    "stored_in_f16": (
        "model {type} zapisany w F16 (zdekwantyzowany z {name}; zaokrąglenia {type} zostają w każdym wariancie)"
    ),
    "err_not_found": "nie znaleziono pliku modelu: {path}",
    "err_unsupported": (
        "pakiet gguf nie potrafi zdekwantyzować tensora {tensor} typu {type}; zacznij od pliku GGUF w F16/BF16 "
        "albo od modelu w innej kwantyzacji"
    ),
    "err_no_model": (
        "nie znaleziono pliku GGUF dla {model!r}: podaj ścieżkę do pliku .gguf, dołączony model 'smollm2:135m' "
        "albo nazwę modelu z magazynu Ollamy (najpierw `ollama pull {model}`)"
    ),
    "err_no_reference": "wśród wariantów musi być {ref}: względem niego mierzymy dywergencję KL i zgodność top-1",
    "err_kv_type": "nieznany typ pamięci KV {kv!r}; dostępne: {known}",
    "bar_quantize": "kwantyzacja",
    "bar_dequantize": "dekwantyzacja do F16",
    "bar_measure": "pomiary",
    "bar_kv": "typy pamięci KV",
    "err_too_short": (
        "tekst ({part}) ma {n} tokenów; perpleksja przy n_ctx={n_ctx} wymaga co najmniej {need} "
        "(dwóch fragmentów). Użyj mniejszego n_ctx albo dłuższego tekstu."
    ),
    "err_ctx": "n_ctx musi być liczbą parzystą, co najmniej 8; podano {n_ctx}",
    "err_mismatch": "wzorzec i wariant oceniono na różnych tokenach; użyj wariantów jednego modelu",
}
