"""The message catalogue: every key in both editions, with the same placeholders, and the edition switch."""

from __future__ import annotations

import string

import pytest

from lessons_lib import edition
from lessons_lib.messages import CATALOGUE, ROOMS


def fields(template: str) -> set[tuple[str, str, str]]:
    """The `str.format` fields of a template: (name, conversion, format spec)."""
    return {
        (name, conversion or "", spec or "")
        for _, name, spec, conversion in string.Formatter().parse(template)
        if name is not None
    }


def test_both_editions_have_the_same_keys():
    assert set(CATALOGUE) == set(edition.LANGUAGES)
    for room, module in ROOMS.items():
        assert set(module.EN) - set(module.PL) == set(), f"{room}: keys missing in Polish"
        assert set(module.PL) - set(module.EN) == set(), f"{room}: Polish keys with no English"


@pytest.mark.parametrize("key", edition.keys())
def test_a_key_has_the_same_placeholders_in_every_edition_and_formats(key):
    english = fields(CATALOGUE["en"][key])
    for lang in edition.LANGUAGES:
        template = CATALOGUE[lang][key]
        assert fields(template) == english, f"{lang} {key}: {template!r}"
        assert template.strip(), f"{lang} {key} is empty"
        assert "lang" not in {name for name, _, _ in english}  # text() takes lang= itself
        # Every string formats with the fields it names (a stray brace would fail in a lesson).
        values = {name.split(".")[0].split("[")[0]: _sample(spec) for name, _, spec in english}
        template.format(**values)


def _sample(spec: str) -> object:
    """A value that a field with this format spec accepts."""
    return 0.5 if spec and spec[-1] in "fFeEgG%" else 3 if spec and spec[-1] in "d,xXob" else "x"


def test_polish_is_written_not_copied():
    """Most Polish strings differ from the English ones (names, commands and units may not)."""
    same = [k for k in edition.keys() if CATALOGUE["pl"][k] == CATALOGUE["en"][k]]
    assert len(same) < 0.25 * len(edition.keys()), same


def test_use_switches_the_edition_and_text_follows(monkeypatch):
    monkeypatch.setattr(edition, "_current", edition.DEFAULT)
    assert edition.current() == "en"
    assert edition.text("check.all_set") == "All set: run `make lab`."
    edition.use("PL")
    assert edition.current() == "pl"
    assert edition.text("check.all_set") == "Wszystko gotowe: uruchom `make lab`."
    assert edition.text("check.fix_rebuild", lang="en", fix="make x") == "Rebuild llama.cpp for this machine: `make x`."
    with pytest.raises(ValueError, match="en, pl"):
        edition.use("de")
    assert edition.current() == "pl"  # a refused switch changes nothing


def test_commands_follow_the_environment(monkeypatch):
    monkeypatch.setattr(edition, "_current", edition.DEFAULT)
    monkeypatch.delenv(edition.ENVIRONMENT, raising=False)
    assert edition.use_environment() == "en"
    monkeypatch.setenv(edition.ENVIRONMENT, "pl")
    assert edition.use_environment() == "pl"


def test_the_check_speaks_the_current_edition(monkeypatch):
    from lessons_lib import check

    monkeypatch.setattr(edition, "_current", "pl")
    table = check.report([check.python_check()])
    assert list(table.columns) == ["sprawdzenie", "ok", "wynik", "co zrobić"]
    assert table.iloc[0]["ok"] == "tak"


def test_widgets_and_tables_speak_the_current_edition(monkeypatch):
    from lessons_lib.catalog.table import fit_table
    from lessons_lib.hardware import GPU, Machine
    from lessons_lib.widgets.cost import CostEstimator
    from lessons_lib.widgets.will_it_fit import WillItFit

    machine = Machine(
        "test CPU", 4, 8, 16 * 2**30, 16 * 2**30, 0, "Linux", "x86_64", (GPU("G", "nvidia", 8 * 2**30, 8 * 2**30),)
    )
    monkeypatch.setattr(edition, "_current", "pl")
    fit = WillItFit(machine=machine)
    assert fit.quant.description == "Kwantyzacja" and fit.ctx.description == "Okno kontekstu (tokeny)"
    assert "Razem potrzeba" in fit.table.index and "mieści się" in fit.verdict_text
    assert WillItFit(machine=machine, lang="en").quant.description == "Quantization"  # lang= wins
    with pytest.raises(ValueError, match="Kwantyzacja: dozwolone"):
        WillItFit(machine=machine, quant="Q9")
    cost = CostEstimator(chart=False)
    assert cost.cloud.description == "Chmura" and "Ceny:" in cost.note.value
    assert cost.table is not None and "total $" in cost.table.columns  # the table's API stays English
    table = fit_table(machine)
    assert "Werdykt" in table.columns and "za duży" in set(table["Werdykt"])
    assert [row for row, _ in machine.summary_rows()][:2] == ["Procesor", "Rdzenie"]


def test_make_lab_edition_opens_that_editions_folder(monkeypatch, capsys):
    from lessons_lib import lab

    assert lab.edition_folder("en") == lab.NOTEBOOKS and lab.edition_folder("pl") == lab.NOTEBOOKS / "pl"
    assert "--notebook-dir=" + str(lab.NOTEBOOKS / "pl") in lab.jupyter_command(lab.edition_folder("pl"))
    monkeypatch.setattr(edition, "_current", edition.DEFAULT)
    monkeypatch.setenv(edition.ENVIRONMENT, "de")  # `make lab EDITION=de`: a clear line, no traceback, no server
    assert lab.main() == 2
    assert "en, pl" in capsys.readouterr().err


def test_the_chat_and_compare_widgets_follow_the_edition(monkeypatch):
    from lessons_lib.widgets.chat import ChatWidget
    from lessons_lib.widgets.compare import CompareWidget

    class NoServer:  # the widgets ask for the model list; an unreachable server is shown, not raised
        def list(self):
            raise ConnectionError("no server here")

    monkeypatch.setattr(edition, "_current", "pl")
    box = ChatWidget(client=NoServer())
    assert box.send_button.description == "Wyślij" and box.lang == "pl"
    assert CompareWidget(client=NoServer()).run_button.description == "Uruchom"
    assert ChatWidget(client=NoServer(), lang="en").send_button.description == "Send"


def test_the_stats_and_speed_lines_follow_the_edition(monkeypatch):
    """The line under a chat answer and a reply's printed speed (metrics.Speed) are the catalogue's."""
    from lessons_lib import chat, metrics

    reply = {"prompt_eval_count": 37, "prompt_eval_duration": 277_000_000, "eval_count": 24}
    reply |= {"eval_duration": 400_000_000, "load_duration": 0, "total_duration": 1_280_000_000}
    speed = metrics.speed(reply)
    result = chat.ChatResult(model="m", content="ok", ttft_s=0.25, wall_s=1.3, speed=speed)
    monkeypatch.setattr(edition, "_current", "pl")
    assert chat.stats_line(result) == "tokeny: 24 · 60,0 tok/s · pierwszy token po 0,25 s"  # Polish decimal comma
    assert str(speed).startswith(
        "odpowiedź: 24 tok. z szybkością 60,0 tok/s (prompt: 37 tok. z szybkością 133,6 tok/s;"
    )
    assert chat.stats_line(result, "en") == "24 tokens · 60.0 tok/s · first token after 0.25 s"
    monkeypatch.setattr(edition, "_current", "en")
    assert str(speed).startswith("24 tokens at 60.0 tok/s (prompt: 37 tokens at 133.6 tok/s;")


def test_the_keyword_job_speaks_the_edition_in_its_ray_workers_too(monkeypatch, tmp_path):
    """lessons_lib.batch's strings are the catalogue's; a Ray worker (Classify) takes the driver's edition."""
    from lessons_lib import batch
    from lessons_lib.batch.pipeline import Classify

    wrong = '{"labels": ["electronics", "holidays"]}'
    monkeypatch.setattr(edition, "_current", "en")
    with pytest.raises(batch.InvalidAnswer, match="'holidays' \\(keyword 2\\) is not one of the categories"):
        batch.parse(wrong, 2)
    Classify([batch.Endpoint.ollama("http://127.0.0.1:9", "m", slots=1)], batch.CATEGORIES, 1.0, {}, lang="pl")
    assert edition.current() == "pl"  # what a worker process does with the edition the job was started in
    with pytest.raises(batch.InvalidAnswer, match="'holidays' \\(fraza 2\\) nie jest żadną z kategorii"):
        batch.parse(wrong, 2)
    with pytest.raises(ValueError, match="Podaj co najmniej jeden punkt końcowy"):
        batch.run_job(["laptop do 3000 zł"], tmp_path / "job", [], k=1)


def test_a_pod_fleet_speaks_the_edition(monkeypatch):
    from lessons_lib.cloud import PodFleet

    monkeypatch.setattr(edition, "_current", "pl")
    with pytest.raises(ValueError, match="count musi być całkowitą liczbą podów od 1 do 32"):
        PodFleet(None, 0)  # type: ignore[arg-type]  # refused before the spec is read
    with pytest.raises(RuntimeError, match="Flota nie ma uruchomionych podów"):
        PodFleet(None, 1).require_urls()  # type: ignore[arg-type]
