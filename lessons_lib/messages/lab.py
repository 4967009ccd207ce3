"""`make lab`: what it says before JupyterLab opens."""

EN: dict[str, str] = {
    "root": "Running as root (a container, cloud VM or RunPod pod): starting JupyterLab with --allow-root.",
    "real_ollama": "Terminals in JupyterLab run your Ollama's `ollama` command ({path}).",
    "course_ollama": (
        "Ollama is not installed here: `ollama` in JupyterLab's terminals is the course's own command, "
        "talking to the server at {url}."
    ),
    "edition": "Opening the English edition of the course ({folder}).",
}

PL: dict[str, str] = {
    "root": (
        "Działasz jako root (kontener, maszyna wirtualna w chmurze albo pod RunPod): "
        "JupyterLab startuje z opcją --allow-root."
    ),
    "real_ollama": "Terminale w JupyterLab używają polecenia `ollama` z Twojej instalacji Ollamy ({path}).",
    "course_ollama": (
        "Ollama nie jest tu zainstalowana: `ollama` w terminalach JupyterLab to polecenie dołączone do kursu, "
        "które rozmawia z serwerem pod adresem {url}."
    ),
    "edition": "Otwieram polskie wydanie kursu ({folder}).",
}
