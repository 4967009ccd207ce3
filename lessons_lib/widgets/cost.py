"""Cost estimator: pick a GPU, cloud, pricing and workload; see pod versus per-token costs.

All arithmetic is `lessons_lib.cloud.costs.compare`; this widget only collects inputs and shows
its table and a bar chart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as w
import matplotlib.pyplot as plt
from IPython.display import display

from ..cloud import costs, prices, projection
from .base import Panel

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CostEstimator"]

# --- learner-facing strings ---------------------------------------------------------------------
LABELS = {
    "gpu": "GPU",
    "cloud": "Cloud",
    "pricing": "Pricing",
    "gpu_count": "GPUs",
    "items": "Items",
    "tokens_in": "Tokens in/item",
    "tokens_out": "Tokens out/item",
    "tokens_per_s": "Gen tok/s",
    "prompt_tokens_per_s": "Prompt tok/s",
    "concurrency": "Parallel streams",
    "start_minutes": "Start (min)",
    "model_pull_minutes": "Model pull (min)",
    "idle_hours": "Idle (h)",
    "volume_gb": "Volume (GB)",
    "stopped_days": "Stopped (days)",
    "api_models": "API models",
    "preset": "100 million keywords",
}
CLOUDS = (("community", "community"), ("secure", "secure"))
PRICINGS = (("on-demand", "on-demand"), ("spot (legacy: the SDK cannot rent it)", "spot"))
CHART_TITLE = "Total cost for {items:,} items"
CHART_X = "US dollars"
MSG_PRICE_NOTE = "Prices: {source}. Sample figures, not live quotes."
MSG_ERROR = "Cannot estimate: {error}"


class CostEstimator(Panel):
    """`CostEstimator().show()`; `.table` holds the last result (a pandas DataFrame)."""

    def __init__(
        self,
        workload: costs.Workload | None = None,
        plan: costs.PodPlan | None = None,
        api_models: tuple[str, ...] = ("gpt-4o-mini", "gpt-4.1-mini"),
        chart: bool = True,
    ):
        workload = workload or costs.Workload(
            items=10_000, tokens_in=200, tokens_out=200, tokens_per_s=50.0, prompt_tokens_per_s=1000.0
        )
        plan = plan or costs.PodPlan()
        style = {"description_width": "initial"}
        self.chart = chart
        self.gpu = w.Dropdown(
            options=[(r.display_name, r.display_name) for r in prices.GPU_PRICES],
            value=prices.gpu_price(plan.gpu).display_name,
            description=LABELS["gpu"],
            style=style,
        )
        self.cloud = w.ToggleButtons(options=CLOUDS, value=plan.cloud, description=LABELS["cloud"], style=style)
        self.pricing = w.ToggleButtons(options=PRICINGS, value=plan.pricing, description=LABELS["pricing"], style=style)
        self.gpu_count = w.BoundedIntText(plan.gpu_count, min=1, max=8, description=LABELS["gpu_count"], style=style)
        self.items = w.BoundedIntText(workload.items, min=1, max=10**12, description=LABELS["items"], style=style)
        self.tokens_in = w.BoundedFloatText(
            workload.tokens_in, min=0, max=1e6, description=LABELS["tokens_in"], style=style
        )
        self.tokens_out = w.BoundedFloatText(
            workload.tokens_out, min=0, max=1e6, description=LABELS["tokens_out"], style=style
        )
        self.tokens_per_s = w.BoundedFloatText(
            workload.tokens_per_s, min=0.1, max=1e6, description=LABELS["tokens_per_s"], style=style
        )
        self.prompt_tokens_per_s = w.BoundedFloatText(
            workload.prompt_tokens_per_s, min=0, max=1e7, description=LABELS["prompt_tokens_per_s"], style=style
        )
        self.concurrency = w.BoundedIntText(
            workload.concurrency, min=1, max=1024, description=LABELS["concurrency"], style=style
        )
        self.start_minutes = w.BoundedFloatText(
            plan.start_minutes, min=0, max=1e4, description=LABELS["start_minutes"], style=style
        )
        self.model_pull_minutes = w.BoundedFloatText(
            plan.model_pull_minutes, min=0, max=1e4, description=LABELS["model_pull_minutes"], style=style
        )
        self.idle_hours = w.BoundedFloatText(
            plan.idle_hours, min=0, max=1e5, description=LABELS["idle_hours"], style=style
        )
        self.volume_gb = w.BoundedIntText(
            plan.volume_gb, min=0, max=10**5, description=LABELS["volume_gb"], style=style
        )
        self.stopped_days = w.BoundedFloatText(
            plan.stopped_days, min=0, max=3650, description=LABELS["stopped_days"], style=style
        )
        self.api_models = w.SelectMultiple(
            options=[r.model for r in prices.TOKEN_PRICES],
            value=api_models,
            description=LABELS["api_models"],
            rows=4,
            style=style,
        )
        self.preset = w.Button(description=LABELS["preset"], icon="magic")
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
        self.note.value = MSG_PRICE_NOTE.format(source=row.source)
        try:
            workload = self.workload()
            table = self.table = costs.compare(workload, [self.plan()], list(self.api_models.value))
            self.error = None
        except (ValueError, KeyError) as exc:
            self.table, self.error = None, str(exc).strip("'\"")
            with self.output:
                print(MSG_ERROR.format(error=self.error))
            return
        with self.output:
            display(
                table.style.format(
                    {
                        costs.COL_HOURS: "{:,.1f}",
                        costs.COL_COMPUTE: "${:,.2f}",
                        costs.COL_STORAGE: "${:,.2f}",
                        costs.COL_TOTAL: "${:,.2f}",
                        costs.COL_PER_ITEM: "${:,.4f}",
                    },
                    na_rep="-",
                ).hide(axis="index")
            )
            if self.chart:
                fig, ax = plt.subplots(figsize=(7, 0.5 + 0.45 * len(table)))
                ax.barh(table[costs.COL_OPTION], table[costs.COL_TOTAL], color="#4c72b0")
                ax.invert_yaxis()
                ax.set_xlabel(CHART_X)
                ax.set_title(CHART_TITLE.format(items=workload.items))
                fig.tight_layout()
                display(fig)
                plt.close(fig)
