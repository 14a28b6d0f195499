"""Prompting, generation on onnxruntime, post-processing, and the model store."""
