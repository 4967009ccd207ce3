"""Pods: deploying, waiting, stopping and terminating (lessons_lib.cloud.pods), the pod budget
guard (lessons_lib.cloud.guard), the pod panel (lessons_lib.widgets.pod) and the pod's web terminal.

RunPod's own words stay as its API returns them (error texts, GPU ids, the state codes
RUNNING/EXITED); what the course says around them is translated.
"""

EN: dict[str, str] = {
    # pods
    "try": "Trying {gpu} ({cloud} cloud)...",
    "no_capacity": "No {gpu} free in the {cloud} cloud right now.",
    "deployed": "Pod {name} ({id}) deployed: {gpu} x{count}, {cloud} cloud, ${cost:.2f}/h.",
    "orphan": "The API failed after creating pod {id}; it was terminated so it cannot bill.",
    "orphan_left": (
        "The API failed after creating pod {id} and could not terminate it: it may still bill. "
        "Run cloud.cleanup() when the API answers again, or terminate it in the RunPod console."
    ),
    "wait_runtime": "waiting for the container",
    "wait_api": "waiting for Ollama to answer",
    "ready": "Pod {id} ready after {seconds:.0f} s: {url}",
    "terminated": "Pod {id} terminated: it no longer costs anything.",
    "stopped": (
        "Pod {id} stopped: compute billing ended, but its {volume:g} GB volume still costs "
        "${per_month:.2f}/month until you terminate it."
    ),
    "stopped_no_volume": "Pod {id} stopped: compute billing ended; it has no volume, so nothing bills until resume.",
    "err_capacity_all": (
        "No capacity for any of: {tried}. Try again later, another GPU type or cloud, or allow "
        "fallbacks (allow_fallback=True). RunPod's last answer: {detail}"
    ),
    "err_not_ready": (
        "Pod {id} was not ready after {timeout:.0f} s ({phase}). RunPod is sometimes slow to pull "
        "images; try again, or another GPU type."
    ),
    "state_provisioning": "provisioning (a machine is being found)",
    "state_starting": "starting",
    "state_error": "error (the container failed)",
    "state_running": "running",
    "state_exited": "stopped",
    "state_terminated": "terminated",
    # the guard
    "estimate": "{gpu} x{count} in the {cloud} cloud costs about ${hourly:.2f}/h ({source}).",
    "estimate_unstated": (
        "{gpu} x{count} costs about ${hourly:.2f}/h ({source}; that source does not say which cloud it "
        "quotes, so the course files it as {cloud})."
    ),
    "source_live": "price from the API right now",
    "source_table": "price table: {source}",
    "budget": "Budget: at most {hours} and {dollars}; the pod is {action} when either is reached.",
    "over_budget": "Budget reached ({why}): the pod is being {action}.",
    "ended": "Pod {id} {action} ({reason}); it ran {uptime:.0f} s of billed time, about ${cost:.4f}.",
    "error": "Something went wrong ({error}); ending the pod so it does not keep billing.",
    "end_failed": (
        "Could not end pod {id} ({error}): it may still bill. Run cloud.cleanup() when the API answers "
        "again, or end it in the RunPod console. (The kernel will also try when it shuts down.)"
    ),
    "action_stopped": "stopped",
    "action_terminated": "terminated",
    "reason_exit": "end of the block",
    "reason_error": "error",
    "reason_interrupt": "interrupted",
    "reason_atexit": "kernel shutting down",
    "reason_call": "asked",
    "reason_budget": "budget: {why}",
    "reason_gone": "ended outside this session (cloud.cleanup() or the console)",
    "err_on_exit": "on_exit must be 'terminate' or 'stop', not {value!r}",
    "err_not_started": "The pod is not running: call start() (or use `with PodSession(...)`) first.",
    "err_already_started": (
        "This session already has pod {id}: end() it first, or make a new PodSession (one session guards one pod)."
    ),
    "why_hours": "{used:.2f} h of {limit:g} h",
    "why_dollars": "${used:.4f} of ${limit:g}",
    "no_limit": "no limit",
    "err_budget": "Budget {name} must be a positive number or None (no limit), not {value!r}",
    "err_key_hint": "check your API key: RUNPOD_API_KEY, or the key typed at the prompt",
    "err_not_json": "the API answered with a page that is not JSON (a proxy in front of it failed); try again",
    "err_no_key": "no RunPod API key: call cloud.open_cloud() first (the sandbox) or set RUNPOD_API_KEY",
    "err_stock": "The catalog shows no {gpu} in stock for pods in the {cloud} cloud right now.",
    "stock": "{gpu} in the {cloud} cloud: stock {availability}, ${price:.2f}/h per GPU (the API's catalog, {date}).",
    # the pod panel
    "refresh": "Refresh",
    "stop": "Stop",
    "terminate": "Terminate",
    "row": "<b>{name}</b> ({id})<br>State: <b>{state}</b> &middot; {gpu} x{count} &middot; ${rate:.2f}/h",
    "row_cost": "<br>Billed uptime: {uptime} &middot; cost so far: <b>${cost:.4f}</b>",
    "row_not_started": "No pod yet.",
    "row_ended": "<br>Session over: pod {action} ({reason}).",
    # the pod's web terminal (lessons_lib.cloud.web_terminal)
    "terminal_link": "Open the pod's web terminal",
    "terminal_opened": (
        "Connect → Start Web Terminal: JupyterLab terminal {name} is open with OLLAMA_HOST set to the pod, so "
        "`ollama` there talks to the pod (`ollama ps`, `ollama list`, `ollama run MODEL`). The link opens it in a "
        "new tab; it is also listed under Running Terminals and Kernels. It closes when this kernel shuts down."
    ),
    "terminal_no_server": (
        "No Jupyter server runs this notebook (an automatic run or plain Python), so no terminal can be opened "
        "from here; paste this line into a terminal instead:"
    ),
    "terminal_failed": "JupyterLab could not open a terminal ({error}); paste this line into a terminal instead:",
    "terminal_off": "terminals are switched off on this Jupyter server",
    "terminal_paste": "# paste into a terminal while this pod runs (Windows: set OLLAMA_HOST=...)",
}

PL: dict[str, str] = {
    "try": "Próbuję {gpu} (chmura {cloud})...",
    "no_capacity": "W chmurze {cloud} nie ma teraz wolnego {gpu}.",
    "deployed": "Pod {name} ({id}) uruchomiony: {gpu} x{count}, chmura {cloud}, ${cost:.2f}/h.",
    "orphan": "API zawiodło po utworzeniu poda {id}; pod został usunięty, więc nie nalicza opłat.",
    "orphan_left": (
        "API zawiodło po utworzeniu poda {id} i nie udało się go usunąć: może nadal naliczać opłaty. "
        "Uruchom cloud.cleanup(), gdy API znów odpowie, albo usuń go w konsoli RunPod."
    ),
    "wait_runtime": "czekam na kontener",
    "wait_api": "czekam, aż Ollama odpowie",
    "ready": "Pod {id} gotowy po {seconds:.0f} s: {url}",
    "terminated": "Pod {id} usunięty: nic już nie kosztuje.",
    "stopped": (
        "Pod {id} zatrzymany: opłaty za obliczenia ustały, ale jego wolumen {volume:g} GB nadal kosztuje "
        "${per_month:.2f} miesięcznie, dopóki go nie usuniesz."
    ),
    "stopped_no_volume": (
        "Pod {id} zatrzymany: opłaty za obliczenia ustały; nie ma wolumenu, więc do wznowienia nic nie kosztuje."
    ),
    "err_capacity_all": (
        "Brak wolnych maszyn dla: {tried}. Spróbuj później, wybierz inny typ GPU lub chmurę albo zezwól "
        "na zamienniki (allow_fallback=True). Ostatnia odpowiedź RunPod: {detail}"
    ),
    "err_not_ready": (
        "Pod {id} nie był gotowy po {timeout:.0f} s ({phase}). RunPod czasem długo pobiera obrazy; "
        "spróbuj ponownie albo z innym typem GPU."
    ),
    "state_provisioning": "przydzielanie (szukanie maszyny)",
    "state_starting": "uruchamia się",
    "state_error": "błąd (kontener nie wystartował)",
    "state_running": "działa",
    "state_exited": "zatrzymany",
    "state_terminated": "usunięty",
    "estimate": "{gpu} x{count} w chmurze {cloud} kosztuje około ${hourly:.2f}/h ({source}).",
    "estimate_unstated": (
        "{gpu} x{count} kosztuje około ${hourly:.2f}/h ({source}; to źródło nie podaje, której chmury dotyczy "
        "cena, więc kurs zalicza ją do {cloud})."
    ),
    "source_live": "cena z API w tej chwili",
    "source_table": "tabela cen: {source}",
    "budget": "Budżet: najwyżej {hours} i {dollars}; po przekroczeniu któregoś z limitów pod zostanie {action}.",
    "over_budget": "Budżet wyczerpany ({why}): pod zostaje {action}.",
    "ended": "Pod {id} {action} ({reason}); naliczony czas pracy {uptime:.0f} s, około ${cost:.4f}.",
    "error": "Coś poszło nie tak ({error}); kończę pracę poda, żeby nie naliczał dalej opłat.",
    "end_failed": (
        "Nie udało się zakończyć poda {id} ({error}): może nadal naliczać opłaty. Uruchom cloud.cleanup(), "
        "gdy API znów odpowie, albo zakończ go w konsoli RunPod. (Kernel spróbuje też przy zamykaniu.)"
    ),
    "action_stopped": "zatrzymany",
    "action_terminated": "usunięty",
    "reason_exit": "koniec bloku",
    "reason_error": "błąd",
    "reason_interrupt": "przerwano",
    "reason_atexit": "zamykanie kernela",
    "reason_call": "na żądanie",
    "reason_budget": "budżet: {why}",
    "reason_gone": "zakończony poza tą sesją (cloud.cleanup() lub konsola)",
    "err_on_exit": "on_exit musi mieć wartość 'terminate' albo 'stop', a nie {value!r}",
    "err_not_started": "Pod nie działa: najpierw wywołaj start() (albo użyj `with PodSession(...)`).",
    "err_already_started": (
        "Ta sesja ma już poda {id}: najpierw wywołaj end() albo utwórz nową PodSession (jedna sesja pilnuje jednego poda)."
    ),
    "why_hours": "{used:.2f} h z {limit:g} h",
    "why_dollars": "${used:.4f} z ${limit:g}",
    "no_limit": "bez limitu",
    "err_budget": "Limit budżetu {name} musi być liczbą dodatnią albo None (bez limitu), a nie {value!r}",
    "err_key_hint": "sprawdź klucz API: RUNPOD_API_KEY albo klucz wpisany przy pytaniu",
    "err_not_json": "API odpowiedziało stroną, która nie jest JSON-em (zawiódł serwer pośredniczący); spróbuj ponownie",
    "err_no_key": "brak klucza API RunPod: najpierw wywołaj cloud.open_cloud() (piaskownica) albo ustaw RUNPOD_API_KEY",
    "err_stock": "Katalog nie pokazuje teraz wolnych {gpu} dla podów w chmurze {cloud}.",
    "stock": "{gpu} w chmurze {cloud}: dostępność {availability}, ${price:.2f}/h za GPU (katalog API, {date}).",
    "refresh": "Odśwież",
    "stop": "Zatrzymaj",
    "terminate": "Usuń",
    "row": "<b>{name}</b> ({id})<br>Stan: <b>{state}</b> &middot; {gpu} x{count} &middot; ${rate:.2f}/h",
    "row_cost": "<br>Naliczony czas pracy: {uptime} &middot; koszt do tej pory: <b>${cost:.4f}</b>",
    "row_not_started": "Nie ma jeszcze poda.",
    "row_ended": "<br>Sesja zakończona: pod {action} ({reason}).",
    "terminal_link": "Otwórz terminal webowy poda",
    "terminal_opened": (
        "Connect → Start Web Terminal: terminal JupyterLab {name} jest otwarty, a OLLAMA_HOST wskazuje w nim "
        "poda, więc `ollama` rozmawia właśnie z podem (`ollama ps`, `ollama list`, `ollama run MODEL`). Link "
        "otwiera go w nowej karcie; jest też na liście Running Terminals and Kernels. Zamknie się razem z tym "
        "kernelem."
    ),
    "terminal_no_server": (
        "Tego notatnika nie uruchamia serwer Jupytera (to przebieg automatyczny albo zwykły Python), więc stąd "
        "nie da się otworzyć terminala; wklej tę linię do terminala samodzielnie:"
    ),
    "terminal_failed": "JupyterLab nie otworzył terminala ({error}); wklej tę linię do terminala samodzielnie:",
    "terminal_off": "terminale są wyłączone na tym serwerze Jupytera",
    "terminal_paste": "# wklej do terminala, póki ten pod działa (Windows: set OLLAMA_HOST=...)",
}
