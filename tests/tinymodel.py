"""A tiny random-weight model of the Qwen2 architecture, with a real BPE tokenizer.

It goes through the same export and engine as the real model in seconds, so unit tests
exercise the real ONNX path. Its output is random but deterministic.
"""

from __future__ import annotations

from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

QWEN_SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|fim_prefix|>",
    "<|fim_middle|>",
    "<|fim_suffix|>",
    "<|fim_pad|>",
    "<|repo_name|>",
    "<|file_sep|>",
]

CORPUS = [
    "def add(a, b):\n    return a + b\n",
    "class Point:\n    def __init__(self, x, y):\n        self.x = x\n        self.y = y\n",
    "for item in items:\n    if item is None:\n        continue\n    print(item)\n",
    "import os\nfrom pathlib import Path\n\nROOT = Path(__file__).parent\n",
    "while True:\n    line = input()\n    if not line:\n        break\n",
    "function greet(name) {\n  return `hello ${name}`;\n}\n",
]


def build_tokenizer(path: Path) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=QWEN_SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 20, trainer)
    tokenizer.save(str(path))
    return tokenizer


def build_hf_folder(folder: Path, seed: int = 0) -> Path:
    """Write config.json, model.safetensors and tokenizer.json of a tiny Qwen2 model."""
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(folder / "tokenizer.json")
    config = Qwen2Config(
        vocab_size=tokenizer.get_vocab_size(),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        # Large random weights give peaked logits, so greedy choices are far from ties and
        # a run that reuses the cache must pick exactly the tokens of a cold run.
        initializer_range=0.3,
        bos_token_id=0,
        eos_token_id=0,
    )
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(folder)
    return folder
