"""Models the chapters explain.

``tabular`` (imported here): seeded scikit-learn models for the tabular chapters. The tiny torch
models are separate modules, imported explicitly so that ``import helpers.models`` stays free of
torch (chapter 01 stays light)::

    from helpers.models import cnn, transformer, vit

``cnn`` (``TinyCNN``, ``load_cnn("clean" | "shortcut")``, chapter 04), ``transformer``
(``TinyTransformer`` on the cue-word corpus, ``load_transformer()``, chapter 05), ``vit`` (``TinyViT``
on the shapes, ``load_vit()``, chapter 05's drill), ``cbm`` (concept bottleneck models on the shapes,
``load_cbm("independent" | "leaky")``, chapter 06), ``lesion`` (``LesionCNN``, ``load_lesion_cnn()``,
chapter 09's mock task; its weights ship as ``weights/lesion_cnn.pt``). Their weights ship in ``helpers/models/weights/``
with ``metadata.json`` (accuracies and data seeds); ``python -m helpers.models.train [--check]``
retrains them (``helpers.models.train.RECIPES`` holds the seeds).
"""

from .tabular import train_boosted, train_forest, train_linear, train_loan_model

__all__ = ["train_boosted", "train_forest", "train_linear", "train_loan_model"]
