"""biodl: deep learning on biological sequences, expression matrices and time courses."""

__version__ = "0.1.0"
