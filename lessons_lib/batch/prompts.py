"""The keyword job's prompt: one shared system prompt (so servers can reuse its prefix) and packs of K.

Every request starts with the same system message, byte for byte: llama.cpp's and vLLM's prefix
caches then skip its prompt processing after the first request. The user message numbers the K
keywords of one pack; the answer format (`schema.pack_schema`) is a closed set, so a model can only
answer with a category from the list.
"""

from __future__ import annotations

from dataclasses import dataclass

from .texts import ERR_EMPTY

__all__ = ["CATEGORIES", "Categories", "system_prompt", "pack_messages"]

# --- the prompt (model-facing, in English for every edition: it is what a learner reads and edits) -----
SYSTEM = (
    "You sort search keywords from an online shop's search log into categories. "
    "Keywords are in Polish or English. Categories:\n{lines}\n"
    'Answer with JSON only: {{"labels": [one category name per keyword, in the same order]}}.'
)
USER = "Keywords ({n}):\n{lines}"


@dataclass(frozen=True)
class Categories:
    """Category names (what the model answers) with a short description each (what it reads)."""

    items: tuple[tuple[str, str], ...]

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError(ERR_EMPTY.format(n=len(self.items)))

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.items]


# The course's ten categories; the sample's gold labels use these names.
CATEGORIES = Categories(
    (
        ("electronics", "phones, computers, TV, audio, cameras, gadgets"),
        ("fashion", "clothes, shoes, bags, jewellery, watches"),
        ("home_garden", "furniture, kitchen, appliances, tools, DIY, plants and garden"),
        ("health_beauty", "cosmetics, skin and hair care, medicines, supplements, health questions"),
        ("sports", "sport and fitness gear, bikes, camping, hiking, training"),
        ("automotive", "cars, motorbikes, tyres, car parts, car insurance, driving"),
        ("food", "groceries, drinks, recipes, restaurants"),
        ("travel", "flights, hotels, holidays, trains, luggage, visas"),
        ("finance", "banking, loans, insurance (not car), taxes, investing, money"),
        ("kids", "babies and children: toys, prams, nappies, school things"),
    )
)


def system_prompt(categories: Categories = CATEGORIES) -> str:
    return SYSTEM.format(lines="\n".join(f"- {name}: {text}" for name, text in categories.items))


def pack_messages(keywords: list[str], categories: Categories = CATEGORIES) -> list[dict[str, str]]:
    """Chat messages for one pack: the shared system prompt, then the numbered keywords."""
    lines = "\n".join(f"{i}. {kw}" for i, kw in enumerate(keywords, 1))
    return [
        {"role": "system", "content": system_prompt(categories)},
        {"role": "user", "content": USER.format(n=len(keywords), lines=lines)},
    ]
