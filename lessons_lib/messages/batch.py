"""The keyword job (lessons_lib.batch, lesson 05): reading keywords, checking answers, endpoints, the ledger, the job.

The prompt the model reads is not here: it is in batch/prompts.py and stays the same in both editions. The error
codes at the start of a row's `error` (`invalid_output:`, `no_endpoint:`) are data a learner filters on, so they
stay as they are in Polish too.
"""

EN: dict[str, str] = {
    # reading keywords (data.py)
    "err_suffix": "Cannot read {path}: keywords come as {suffixes} (a 'keyword' column, or one per line).",
    "err_column": "{path} has no 'keyword' column (columns: {columns}).",
    "err_no_file": "There is no file {path} (looked from {cwd}): check the name, or give its full path.",
    "err_not_utf8": (
        "{path} is not UTF-8 text (byte {byte} at position {pos}): save it as UTF-8 (a spreadsheet's "
        "'CSV UTF-8'), or convert it, e.g. iconv -f cp1250 -t utf-8 OLD > NEW."
    ),
    # categories (prompts.py)
    "err_empty": "A category set needs at least two categories, got {n}.",
    # checking an answer (schema.py)
    "err_json": "the answer is not JSON: {text!r}",
    "err_shape": 'the answer is not {{"labels": [...]}}: {text!r}',
    "err_count": "expected {want} labels, got {got}",
    "err_label": "label {label!r} (keyword {index}) is not one of the categories",
    # endpoints (endpoints.py)
    "err_kind": "kind must be 'ollama' or 'openai', not {kind!r}",
    "err_down": "{name}: {why}",
    "err_status": "HTTP {status}: {body}",
    "err_unreachable": (
        "{name} does not answer ({why}): start the server there (ollama serve, or the pod), "
        "or fix the address given as --endpoint."
    ),
    "err_refused": "{name} refused the key (HTTP {status}): check the key (--api-key-env names its variable).",
    "err_no_model": "{name} does not have the model {model}: pull it there (ollama pull {model}), or name another --model.",
    # a row's error (router.py)
    "err_invalid": "invalid_output: {why}",
    "err_no_endpoint": "no_endpoint: every endpoint is out of the job ({n} failures for this pack; last: {last})",
    # the ledger (ledger.py)
    "err_mismatch": (
        "{out} holds another job ({field}: {old!r} there, {new!r} now). Use a new output folder, "
        "or delete this one to start over."
    ),
    "err_duplicate": "the ledger holds pack {pack} twice: {files}",
    # the job (pipeline.py)
    "err_no_endpoints": "Give at least one endpoint (an Ollama or OpenAI-compatible server URL and a model).",
    "err_k": "k (keywords per request) must be between 1 and 200, not {k!r}",
    "err_all_down": "No endpoint can take the job, nothing was sent: {problems}",
    "msg_skipped": "Left out of this job: {problem}",
    "bar": "keywords",
    "msg_resumed": "Resuming the job: {done:,} of {total:,} keywords were already done.",
    # OpenAI Batch files (openai_batch.py)
    "err_custom_id": "line {line}: custom_id {custom_id!r} is not one of this job's packs",
    # the command (python -m lessons_lib.batch)
    "msg_done": (
        "{done_now:,} keywords classified now ({done_before:,} before), {errors:,} flagged; "
        "{items_per_s:.2f} keywords/s, {tokens_per_s:.1f} tokens/s. Result: {result}"
    ),
    "help_endpoint": "server URL; repeat for several (Ollama root, or an OpenAI base URL ending in /v1)",
    "err_nothing_done": (
        "No keyword could be classified ({errors:,} flagged): read the `error` column of {result} for why."
    ),
    "err_no_model_given": "Name the model (--model NAME) or a cascade of them (--cascade SMALL,LARGE).",
    "help_cascade": (
        "models in order, comma-separated; embed:MODEL is a classifier on MODEL's embeddings; a keyword "
        "answered below --threshold goes to the next"
    ),
    "help_threshold": "confidence (0-1) a stage's answer needs to be final (default 0.9)",
    "help_train": "CSV of labelled keywords (keyword, category) for embed: stages (default: the gold set)",
    # the strategies table (strategies.py)
    "col_strategy": "strategy",
    "col_accuracy": "accuracy",
    "col_sure_share": "share with confidence >= 0.9",
    "col_sure_accuracy": "their accuracy",
    "col_speed": "keywords/s here",
    "col_tokens_in": "prompt tokens/keyword",
    "col_tokens_out": "output tokens/keyword",
    "col_threshold": "threshold",
    "col_sent_on": "share sent on",
    "col_hours_here": "100M: hours here",
    "col_gpu": "100M: cheapest GPU",
    "col_gpu_dollars": "100M: $ on it",
    "col_gpu_hours": "100M: hours on 1 pod",
    "col_api_dollars": "100M: $ on {model}",
    "plot_title": "Each strategy on the held-out gold keywords: accuracy against speed on this machine",
    "plot_chance": "chance (ten categories)",
}

PL: dict[str, str] = {
    "err_suffix": "Nie można odczytać {path}: frazy przyjmuję jako {suffixes} (kolumna 'keyword' albo jedna fraza w wierszu).",
    "err_column": "{path} nie ma kolumny 'keyword' (kolumny: {columns}).",
    "err_no_file": "Nie ma pliku {path} (szukałem od {cwd}): sprawdź nazwę albo podaj pełną ścieżkę.",
    "err_not_utf8": (
        "{path} nie jest tekstem UTF-8 (bajt {byte} na pozycji {pos}): zapisz go jako UTF-8 (w arkuszu "
        "'CSV UTF-8') albo przekonwertuj, np. iconv -f cp1250 -t utf-8 STARY > NOWY."
    ),
    "err_empty": "Zbiór kategorii musi mieć co najmniej dwie kategorie, a ma {n}.",
    "err_json": "odpowiedź nie jest JSON-em: {text!r}",
    "err_shape": 'odpowiedź nie ma postaci {{"labels": [...]}}: {text!r}',
    "err_count": "oczekiwano etykiet: {want}, przyszło: {got}",
    "err_label": "etykieta {label!r} (fraza {index}) nie jest żadną z kategorii",
    "err_kind": "kind musi być 'ollama' albo 'openai', a nie {kind!r}",
    "err_down": "{name}: {why}",
    "err_status": "HTTP {status}: {body}",
    "err_unreachable": (
        "{name} nie odpowiada ({why}): uruchom tam serwer (ollama serve albo pod) "
        "albo popraw adres podany jako --endpoint."
    ),
    "err_refused": "{name} odrzucił klucz (HTTP {status}): sprawdź klucz (--api-key-env podaje nazwę jego zmiennej).",
    "err_no_model": "{name} nie ma modelu {model}: pobierz go tam (ollama pull {model}) albo podaj inny --model.",
    "err_invalid": "invalid_output: {why}",
    "err_no_endpoint": "no_endpoint: żaden punkt końcowy nie bierze już udziału w zadaniu (nieudane próby tej paczki: {n}; ostatnia: {last})",
    "err_mismatch": (
        "{out} zawiera inne zadanie ({field}: tam {old!r}, teraz {new!r}). Użyj nowego folderu wyników "
        "albo usuń ten, żeby zacząć od nowa."
    ),
    "err_duplicate": "rejestr zawiera paczkę {pack} dwa razy: {files}",
    "err_no_endpoints": "Podaj co najmniej jeden punkt końcowy (adres serwera Ollama albo zgodnego z OpenAI i model).",
    "err_k": "k (liczba fraz w zapytaniu) musi być od 1 do 200, a nie {k!r}",
    "err_all_down": "Żaden punkt końcowy nie może przyjąć zadania, nic nie zostało wysłane: {problems}",
    "msg_skipped": "Pominięty w tym zadaniu: {problem}",
    "bar": "frazy",
    "msg_resumed": "Wznawiam zadanie: {done:,} z {total:,} fraz było już zrobionych.",
    "err_custom_id": "wiersz {line}: custom_id {custom_id!r} nie jest żadną z paczek tego zadania",
    "msg_done": (
        "Sklasyfikowane teraz: {done_now:,} fraz (wcześniej: {done_before:,}), oznaczone jako błędne: {errors:,}; "
        "{items_per_s:.2f} fraz/s, {tokens_per_s:.1f} tokenów/s. Wynik: {result}"
    ),
    "help_endpoint": "adres serwera; powtórz dla kilku (Ollama: adres główny, OpenAI: adres bazowy kończący się na /v1)",
    "err_nothing_done": (
        "Nie udało się sklasyfikować żadnej frazy (oznaczone jako błędne: {errors:,}): przyczynę podaje kolumna "
        "`error` w {result}."
    ),
    "err_no_model_given": "Podaj model (--model NAZWA) albo kaskadę modeli (--cascade MAŁY,DUŻY).",
    "help_cascade": (
        "modele po kolei, po przecinku; embed:MODEL to klasyfikator na wektorach (embeddingach) modelu MODEL; fraza "
        "z odpowiedzią poniżej --threshold idzie do następnego"
    ),
    "help_threshold": "pewność (0-1), jakiej potrzebuje odpowiedź etapu, żeby była ostateczna (domyślnie 0.9)",
    "help_train": "plik CSV z oznaczonymi frazami (keyword, category) dla etapów embed: (domyślnie zbiór wzorcowy)",
    "col_strategy": "strategia",
    "col_accuracy": "trafność",
    "col_sure_share": "odsetek z pewnością >= 0.9",
    "col_sure_accuracy": "ich trafność",
    "col_speed": "fraz/s tutaj",
    "col_tokens_in": "tokeny promptu na frazę",
    "col_tokens_out": "tokeny odpowiedzi na frazę",
    "col_threshold": "próg",
    "col_sent_on": "odsetek przekazany dalej",
    "col_hours_here": "100 mln: godziny tutaj",
    "col_gpu": "100 mln: najtańszy GPU",
    "col_gpu_dollars": "100 mln: $ na nim",
    "col_gpu_hours": "100 mln: godziny na 1 podzie",
    "col_api_dollars": "100 mln: $ w {model}",
    "plot_title": "Każda strategia na odłożonych frazach wzorcowych: trafność a szybkość na tym komputerze",
    "plot_chance": "zgadywanie (dziesięć kategorii)",
}
