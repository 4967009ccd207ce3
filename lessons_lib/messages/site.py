"""The course site (`make site`): the lines it adds around the lessons."""

EN: dict[str, str] = {
    "switch": "Polska wersja",
    "switch_title": "Ta strona po polsku",
    "widget_note": "A saved picture of the widget as the lesson's run left it; run the notebook to use it.",
    "lessons": "Lessons",
    "edition_name": "English",
    "home_intro": (
        "An interactive Jupyter course on running language models on your own machine and on rented GPUs. "
        "These pages show the lessons as they were last run; open them in JupyterLab to run them yourself."
    ),
}

PL: dict[str, str] = {
    "switch": "English version",
    "switch_title": "This page in English",
    "widget_note": "Zapisany obraz widżetu, taki jak po ostatnim uruchomieniu lekcji; uruchom notatnik, aby go używać.",
    "lessons": "Lekcje",
    "edition_name": "Polski",
    "home_intro": (
        "Interaktywny kurs w Jupyterze: jak uruchamiać modele językowe na własnym komputerze i na wynajętych GPU. "
        "Te strony pokazują lekcje takie, jak po ostatnim uruchomieniu; otwórz je w JupyterLab, aby uruchomić je samodzielnie."
    ),
}
