"""Cost estimator: pick a GPU, cloud, pricing and workload; see pod versus per-token costs.

All arithmetic is `lessons_lib.cloud.costs.compare`; this widget only collects inputs and shows
its table and a bar chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from ..cloud import costs, prices, projection
from ..edition import resolve, text
from .base import Panel

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CostEstimator"]

# The cost table's columns (cloud.costs names them in English, its API) as this widget shows them.
COLUMNS = {
    costs.COL_OPTION: "col_option",
    costs.COL_HOURS: "col_hours",
    costs.COL_COMPUTE: "col_compute",
    costs.COL_STORAGE: "col_storage",
    costs.COL_TOTAL: "col_total",
    costs.COL_PER_ITEM: "col_per_item",
}


class CostEstimator(Panel):
    """`CostEstimator().show()`; `.table` holds the last result (a pandas DataFrame)."""

    def __init__(
        self,
        workload: costs.Workload | None = None,
        plan: costs.PodPlan | None = None,
        api_models: tuple[str, ...] = projection.API_MODELS,
        chart: bool = True,
        lang: str | None = None,
    ):
        self.lang = resolve(lang)  # the edition it speaks: the current one unless given
        t = self._t
        workload = workload or costs.Workload(
            items=10_000, tokens_in=200, tokens_out=200, tokens_per_s=50.0, prompt_tokens_per_s=1000.0
        )
        plan = plan or costs.PodPlan()
        style = {"description_width": "initial"}
        clouds = [(t("cloud_community"), "community"), (t("cloud_secure"), "secure")]
        pricings = [(t("pricing_on_demand"), "on-demand")]  # no spot: RunPod's API no longer rents it
        self.chart = chart
        self.gpu = w.Dropdown(
            options=[(r.display_name, r.display_name) for r in prices.GPU_PRICES],
            value=prices.gpu_price(plan.gpu).display_name,
            description=t("gpu"),
            style=style,
        )
        self.cloud = w.ToggleButtons(options=clouds, value=plan.cloud, description=t("cloud"), style=style)
        self.pricing = w.ToggleButtons(options=pricings, value=plan.pricing, description=t("pricing"), style=style)
        self.gpu_count = w.BoundedIntText(plan.gpu_count, min=1, max=8, description=t("gpu_count"), style=style)
        self.items = w.BoundedIntText(workload.items, min=1, max=10**12, description=t("items"), style=style)
        self.tokens_in = w.BoundedFloatText(workload.tokens_in, min=0, max=1e6, description=t("tokens_in"), style=style)
        self.tokens_out = w.BoundedFloatText(
            workload.tokens_out, min=0, max=1e6, description=t("tokens_out"), style=style
        )
        self.tokens_per_s = w.BoundedFloatText(
            workload.tokens_per_s, min=0.1, max=1e6, description=t("tokens_per_s"), style=style
        )
        self.prompt_tokens_per_s = w.BoundedFloatText(
            workload.prompt_tokens_per_s, min=0, max=1e7, description=t("prompt_tokens_per_s"), style=style
        )
        self.concurrency = w.BoundedIntText(
            workload.concurrency, min=1, max=1024, description=t("concurrency"), style=style
        )
        self.start_minutes = w.BoundedFloatText(
            plan.start_minutes, min=0, max=1e4, description=t("start_minutes"), style=style
        )
        self.model_pull_minutes = w.BoundedFloatText(
            plan.model_pull_minutes, min=0, max=1e4, description=t("model_pull_minutes"), style=style
        )
        self.idle_hours = w.BoundedFloatText(plan.idle_hours, min=0, max=1e5, description=t("idle_hours"), style=style)
        self.volume_gb = w.BoundedIntText(plan.volume_gb, min=0, max=10**5, description=t("volume_gb"), style=style)
        self.stopped_days = w.BoundedFloatText(
            plan.stopped_days, min=0, max=3650, description=t("stopped_days"), style=style
        )
        self.api_models = w.SelectMultiple(
            options=[r.model for r in prices.TOKEN_PRICES],
            value=api_models,
            description=t("api_models"),
            rows=4,
            style=style,
        )
        self.preset = w.Button(description=t("preset"), icon="magic")
        # The preset's speed is the selected GPU's own (cloud.speed), never one figure for every GPU.
        self.preset.on_click(lambda _: self.apply_preset(projection.keywords_workload(self.gpu.value)))
        self.note = w.HTML()
        self.output = w.Output()
        self.table: pd.DataFrame | None = None
        self.error: str | None = None
        self._inputs = [
            self.gpu,
            self.cloud,
            self.pricing,
            self.gpu_count,
            self.items,
            self.tokens_in,
            self.tokens_out,
            self.tokens_per_s,
            self.prompt_tokens_per_s,
            self.concurrency,
            self.start_minutes,
            self.model_pull_minutes,
            self.idle_hours,
            self.volume_gb,
            self.stopped_days,
            self.api_models,
        ]
        self._paused = False
        for control in self._inputs:
            control.observe(lambda _change: self.update(), names="value")
        self.widget = w.VBox(
            [
                w.HBox([self.gpu, self.gpu_count]),
                self.cloud,
                self.pricing,
                w.HBox(
                    [
                        w.VBox(
                            [
                                self.items,
                                self.tokens_in,
                                self.tokens_out,
                                self.tokens_per_s,
                                self.prompt_tokens_per_s,
                                self.concurrency,
                            ]
                        ),
                        w.VBox(
                            [
                                self.start_minutes,
                                self.model_pull_minutes,
                                self.idle_hours,
                                self.volume_gb,
                                self.stopped_days,
                            ]
                        ),
                        w.VBox([self.api_models, self.preset]),
                    ]
                ),
                self.note,
                self.output,
            ]
        )
        self.update()

    def _t(self, key: str, **fields: Any) -> str:
        return text(f"cost.{key}", lang=self.lang, **fields)

    def workload(self) -> costs.Workload:
        return costs.Workload(
            self.items.value,
            self.tokens_in.value,
            self.tokens_out.value,
            self.tokens_per_s.value,
            self.prompt_tokens_per_s.value,
            self.concurrency.value,
        )

    def plan(self) -> costs.PodPlan:
        return costs.PodPlan(
            self.gpu.value,
            self.cloud.value,
            self.pricing.value,
            self.gpu_count.value,
            self.start_minutes.value,
            self.model_pull_minutes.value,
            self.idle_hours.value,
            volume_gb=self.volume_gb.value,
            stopped_days=self.stopped_days.value,
        )

    def apply_preset(self, workload: costs.Workload) -> None:
        self._paused = True
        try:
            for name in ("items", "tokens_in", "tokens_out", "tokens_per_s", "prompt_tokens_per_s", "concurrency"):
                getattr(self, name).value = getattr(workload, name)
        finally:
            self._paused = False
        self.update()

    def update(self) -> None:
        if self._paused:
            return
        self.output.clear_output(wait=True)
        row = prices.gpu_price(self.gpu.value)
        self.note.value = self._t("price_note", source=row.source)
        try:
            workload = self.workload()
            table = self.table = costs.compare(workload, [self.plan()], list(self.api_models.value))
            self.error = None
        except (ValueError, KeyError) as exc:
            self.table, self.error = None, str(exc).strip("'\"")
            with self.output:
                print(self._t("error", error=self.error))
            return
        col = {name: self._t(key) for name, key in COLUMNS.items()}
        with self.output:
            display(
                table.rename(columns=col)
                .style.format(
                    {
                        col[costs.COL_HOURS]: "{:,.1f}",
                        col[costs.COL_COMPUTE]: "${:,.2f}",
                        col[costs.COL_STORAGE]: "${:,.2f}",
                        col[costs.COL_TOTAL]: "${:,.2f}",
                        col[costs.COL_PER_ITEM]: "${:,.4f}",
                    },
                    na_rep="-",
                )
                .hide(axis="index")
            )
            if self.chart:
                fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(table)))
                ax.barh(table[costs.COL_OPTION], table[costs.COL_TOTAL], color="#4c72b0")
                ax.invert_yaxis()
                ax.set_xlabel(self._t("chart_x"))
                ax.set_title(self._t("chart_title", items=workload.items))
                fig.tight_layout()
                display(fig)
                plt.close(fig)
