"""Connecting to a server (lessons_lib.connect) and describing this machine (lessons_lib.hardware)."""

EN: dict[str, str] = {
    "real": "Using Ollama {version} at {url} (a real Ollama server is running).",
    "embedded": (
        "No Ollama answered at {tried}: started the course's embedded Ollama-compatible server at {url} "
        "(llama.cpp via llama-cpp-python; models in {models})."
    ),
    "forced": (
        "Using the course's embedded Ollama-compatible server at {url} (WORKBOOK_BACKEND=embedded; models in {models})."
    ),
    "existing_embedded": "Using the course's embedded Ollama-compatible server already running at {url}.",
    "no_server": (
        "No Ollama answered at {tried} and starting the embedded server was not allowed. "
        "Start Ollama (`ollama serve`, or open the Ollama app) and run this cell again."
    ),
    # this machine (hardware.Machine.summary_rows)
    "row_cpu": "CPU",
    "row_cores": "Cores",
    "row_ram": "RAM",
    "row_swap": "Swap free",
    "row_for_models": "Memory for models (RAM free + swap free)",
    "row_os": "System",
    "row_gpu": "GPU {i}",
    "row_no_gpu": "GPU",
    "cores_value": "{physical} physical, {logical} logical",
    "ram_value": "{total} total, {free} free",
    "gpu_value": "{name} ({vendor}): {total} total, {free} free",
    "apple_unified": "unified memory, shared with the CPU",
    "no_gpu_value": "none found (models run on the CPU)",
}

PL: dict[str, str] = {
    "real": "Korzystam z Ollamy {version} pod adresem {url} (działa prawdziwy serwer Ollama).",
    "embedded": (
        "Pod adresem {tried} nie odpowiedziała żadna Ollama: uruchomiłem serwer wbudowany w kurs, zgodny z Ollamą, "
        "pod adresem {url} (llama.cpp przez llama-cpp-python; modele w {models})."
    ),
    "forced": (
        "Korzystam z serwera wbudowanego w kurs, zgodnego z Ollamą, pod adresem {url} "
        "(WORKBOOK_BACKEND=embedded; modele w {models})."
    ),
    "existing_embedded": "Korzystam z działającego już serwera wbudowanego w kurs pod adresem {url}.",
    "no_server": (
        "Pod adresem {tried} nie odpowiedziała żadna Ollama, a uruchamianie serwera wbudowanego jest wyłączone. "
        "Uruchom Ollamę (`ollama serve` albo aplikację Ollama) i wykonaj tę komórkę ponownie."
    ),
    "row_cpu": "Procesor",
    "row_cores": "Rdzenie",
    "row_ram": "RAM",
    "row_swap": "Wolny swap",
    "row_for_models": "Pamięć na modele (wolny RAM + wolny swap)",
    "row_os": "System",
    "row_gpu": "GPU {i}",
    "row_no_gpu": "GPU",
    "cores_value": "fizyczne: {physical}, logiczne: {logical}",
    "ram_value": "razem {total}, wolne {free}",
    "gpu_value": "{name} ({vendor}): razem {total}, wolne {free}",
    "apple_unified": "pamięć zunifikowana, wspólna z procesorem",
    "no_gpu_value": "nie znaleziono (modele działają na procesorze)",
}
