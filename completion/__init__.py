"""Prompting, generation on onnxruntime, post-processing, and the model store."""

import os

# onnxruntime 1.29+ uploads telemetry from Linux too (a DNS lookup of Microsoft's event host
# seconds after import, even idle). Nothing leaves the machine unless the user asks: opt out
# before any module here imports onnxruntime. A user who wants it sets the variable to 0.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
