"""Models the chapters explain: scikit-learn models for tabular chapters (``tabular``); the tiny
torch models of the later chapters (MLP, CNN, transformer, ViT) go in sibling modules with the
scripts that retrain their shipped weights."""

from .tabular import train_forest, train_linear

__all__ = ["train_forest", "train_linear"]
