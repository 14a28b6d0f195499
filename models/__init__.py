"""Model lifecycle: the catalog of known models, fetching, export to ONNX, the store."""
