"""RunPod around the pods: the cloud mode (sandbox or real), the API key prompt, prices, sizing and
the cost model's rows and errors (lessons_lib.cloud). Prices' sources are citations and stay as written."""

EN: dict[str, str] = {
    "sandbox": (
        "SANDBOX MODE: RunPod calls go to a local emulator at {url}; pods are embedded Ollama servers on "
        "this machine, billed on a simulated clock ({scale:g}x faster) with sample prices. "
        "Nothing is rented, nothing is paid."
    ),
    "real": (
        "REAL MODE: RunPod calls go to {url} with your API key (from {where}). Pods cost real money "
        "until they are terminated (unless {url} is your instructor's workshop sandbox)."
    ),
    "where_prompt": "the hidden prompt",
    "key_prompt": "RunPod API key (hidden; from runpod.io > Settings > API Keys): ",
    "err_positive": "{name} must be a positive number, not {value!r}",
    "err_not_negative": "{name} must be a number, zero or more, not {value!r}",
    "row_pod": "Pod {gpu} ({cloud}, {pricing})",
    "cloud_not_stated": "cloud not stated by the source",
    "row_tokens": "API {model} (per token)",
    "row_tokens_batch": "API {model} (Batch API, half price, within 24 h)",
    "verdict_pod": (
        "Cheapest here: {pod}, {pod_total}. The cheapest API row, {api}, costs {api_total}: {ratio} as much as the pod."
    ),
    "verdict_api": (
        "Cheapest here: {api}, {api_total}. The cheapest pod, {pod}, costs {pod_total}: {ratio} as much as the API."
    ),
    "verdict_close": (
        "Too close to call: the cheapest pod, {pod}, costs {pod_total}, and the cheapest API row, {api}, "
        "{api_total}, within {pct} of each other. With sample prices and a modelled speed, neither wins: "
        "measure your own speed, read today's prices, then decide."
    ),
    "verdict_quality": (
        "Either way the two are not the same product: a local 8B model answers worse than a hosted frontier "
        "model on many tasks, so score both on your own gold set (lesson 05) before the price decides."
    ),
    "err_verdict": "The table needs at least one pod row and one API row to compare.",
    "projection_xlabel": "US dollars for 100 million keywords (the cheapest way to pay for each GPU)",
    "err_unknown_gpu": "Unknown GPU {gpu!r}. Known GPUs: {known}",
    "err_unknown_api_model": "Unknown API model {model!r}. Known: {known}",
    "err_no_price": "No {what} price is known for {gpu} ({source}). Pick another cloud or pricing, or type a price.",
    "err_cloud": "cloud must be 'community' or 'secure', not {cloud!r}",
    "err_pricing": "pricing must be 'on-demand' or 'spot', not {pricing!r}",
    "err_unknown_model": "{model} is not in the course catalog; give disk sizes and a GPU yourself.",
    "err_no_gpu_fits": "No GPU in the price table has the {need} this model needs.",
    "err_cloud_type": "cloud_type must be 'COMMUNITY', 'SECURE' or 'ALL', not {value!r}",
    "err_gpu_count": "gpu_count must be a whole number from 1 up, not {value!r}",
    "err_volume": "volume_gb must be 0 (no volume) or a whole number of GB from {least} up (RunPod's floor), not {value!r}",
    "present": "{model} is already on the pod; nothing to pull.",
}

PL: dict[str, str] = {
    "sandbox": (
        "TRYB PIASKOWNICY: wywołania RunPod trafiają do lokalnego emulatora pod adresem {url}; pody to serwery "
        "Ollamy wbudowane w kurs, działające na tej maszynie, rozliczane na symulowanym zegarze ({scale:g}x "
        "szybszym) według przykładowych cen. Nic nie jest wynajmowane, za nic nie płacisz."
    ),
    "real": (
        "TRYB RZECZYWISTY: wywołania RunPod trafiają do {url} z Twoim kluczem API (z {where}). Pody kosztują "
        "prawdziwe pieniądze, dopóki ich nie usuniesz (chyba że {url} to piaskownica prowadzącego warsztaty)."
    ),
    "where_prompt": "ukrytego pola do wpisania",
    "key_prompt": "Klucz API RunPod (ukryty; z runpod.io > Settings > API Keys): ",
    "err_positive": "{name} musi być liczbą dodatnią, a nie {value!r}",
    "err_not_negative": "{name} musi być liczbą równą zero lub większą, a nie {value!r}",
    "row_pod": "Pod {gpu} ({cloud}, {pricing})",
    "cloud_not_stated": "chmura niepodana przez źródło",
    "row_tokens": "API {model} (za tokeny)",
    "row_tokens_batch": "API {model} (Batch API, za pół ceny, w ciągu 24 h)",
    "verdict_pod": (
        "Najtaniej wychodzi {pod}: {pod_total}. Najtańszy wiersz API, {api}, kosztuje {api_total}, "
        "czyli {ratio} tyle co pod."
    ),
    "verdict_api": (
        "Najtaniej wychodzi {api}: {api_total}. Najtańszy pod, {pod}, kosztuje {pod_total}, czyli {ratio} tyle co API."
    ),
    "verdict_close": (
        "Remis: najtańszy pod, {pod}, kosztuje {pod_total}, a najtańszy wiersz API, {api}, {api_total}; "
        "różnica mieści się w {pct}. Przy przykładowych cenach i modelowanej szybkości żadna opcja nie "
        "wygrywa: zmierz własną szybkość, sprawdź dzisiejsze ceny i dopiero wtedy zdecyduj."
    ),
    "verdict_quality": (
        "Tak czy inaczej to nie jest ten sam produkt: lokalny model 8B w wielu zadaniach odpowiada gorzej niż "
        "czołowy model w chmurze, więc zanim zdecyduje cena, oceń oba na własnym złotym zbiorze (lekcja 05)."
    ),
    "err_verdict": "Do porównania tabela potrzebuje co najmniej jednego wiersza z podem i jednego z API.",
    "projection_xlabel": "dolary amerykańskie za 100 milionów fraz (najtańszy sposób płacenia za każde GPU)",
    "err_unknown_gpu": "Nieznane GPU {gpu!r}. Znane GPU: {known}",
    "err_unknown_api_model": "Nieznany model API {model!r}. Znane: {known}",
    "err_no_price": "Brak ceny {what} dla {gpu} ({source}). Wybierz inną chmurę lub cennik albo wpisz cenę.",
    "err_cloud": "cloud musi mieć wartość 'community' albo 'secure', a nie {cloud!r}",
    "err_pricing": "pricing musi mieć wartość 'on-demand' albo 'spot', a nie {pricing!r}",
    "err_unknown_model": "Modelu {model} nie ma w katalogu kursu; podaj sam rozmiary dysków i GPU.",
    "err_no_gpu_fits": "Żadne GPU w tabeli cen nie ma {need}, których potrzebuje ten model.",
    "err_cloud_type": "cloud_type musi mieć wartość 'COMMUNITY', 'SECURE' albo 'ALL', a nie {value!r}",
    "err_gpu_count": "gpu_count musi być liczbą całkowitą od 1 w górę, a nie {value!r}",
    "err_volume": (
        "volume_gb musi wynosić 0 (bez wolumenu) albo być całkowitą liczbą GB od {least} w górę (minimum RunPod), "
        "a nie {value!r}"
    ),
    "present": "Model {model} już jest na podzie; nie ma czego pobierać.",
}
