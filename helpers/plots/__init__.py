"""Plots by modality; every function returns its Axes or Figure (no ``plt.show()``, no global style
changes). A notebook imports the package (``from helpers import plots``) and calls any of them.

- :mod:`.tabular`: importance bars and comparisons, the taxonomy map (chapters 01-03).
- :mod:`.images`: heat maps over images, grids of maps, a ViT's patch maps, values per block (chapters 04-05, 09).
- :mod:`.text`: attention matrices over tokens, token relevance (chapter 05).
- :mod:`.counterfactuals`: counterfactual changes, rates by group, recourse costs (chapter 07).
- :mod:`.faithfulness`: deletion and insertion curves, sanity-check curves, agreement tables (chapter 08).
"""

from .counterfactuals import counterfactual_changes, group_rates, recourse_costs
from .faithfulness import agreement_heatmap, perturbation_curves, sanity_curves
from .images import attribution_grid, block_values, heatmap_overlay, patch_overlay
from .tabular import importance_bars, importance_comparison, taxonomy_map
from .text import attention_grid, attention_heatmap, token_relevance

__all__ = ["agreement_heatmap", "attention_grid", "attention_heatmap", "attribution_grid", "block_values",
           "counterfactual_changes", "group_rates", "heatmap_overlay", "importance_bars", "importance_comparison",
           "patch_overlay", "perturbation_curves", "recourse_costs", "sanity_curves", "taxonomy_map",
           "token_relevance"]
