"""From the text around a cursor to the suggestion: prompt, generate, post-process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tokenizers import Tokenizer

from codegen_complete.completion.engine import Engine, Generation
from codegen_complete.completion.postprocess import line_is_complete, postprocess
from codegen_complete.completion.prompt import Budget, PromptBuilder
from codegen_complete.completion.store import InstalledModel, ModelCorruptError
from codegen_complete.completion.templates import FAMILIES


@dataclass(frozen=True)
class CompletionRequest:
    before: str  # document text up to the cursor
    after: str  # document text from the cursor on
    max_new_tokens: int = 48
    time_limit_s: float | None = 30.0
    budget: Budget = field(default_factory=Budget)


@dataclass(frozen=True)
class CompletionResult:
    text: str  # what to insert at the cursor ("" when there is nothing worth showing)
    raw: str  # what the model generated, before post-processing
    generation: Generation


class Completer:
    """A loaded model ready to complete; one request at a time."""

    def __init__(self, model: InstalledModel, threads: int | None = None) -> None:
        started = time.perf_counter()
        self.model = model
        try:
            self.engine = Engine(model.path, threads)
            self.tokenizer = Tokenizer.from_file(str(model.file("tokenizer.json")))
        except Exception as error:  # onnxruntime and tokenizers raise their own types
            raise ModelCorruptError(
                f"model {model.name!r} cannot be loaded ({str(error).strip()[:200]}); "
                f"reinstall it with: codegen-complete model install {model.name} --force"
            ) from error
        self.family = FAMILIES[model.manifest.family]
        self.prompts = PromptBuilder(self.tokenizer, self.family, model.manifest.special_token_ids)
        self.stop_tokens = frozenset(model.manifest.stop_token_ids)
        self.load_ms = round((time.perf_counter() - started) * 1000, 2)

    def decode(self, tokens: list[int]) -> str:
        text: str = self.tokenizer.decode(tokens, skip_special_tokens=False)
        return text

    def complete(
        self, request: CompletionRequest, cancelled: Callable[[], bool] = lambda: False
    ) -> CompletionResult:
        # A prompt ending in spaces derails the model: it has rarely seen a space token right
        # before a word, since BPE merges the space into the word. Leave the spaces out of the
        # prompt and take them back out of the completion.
        before = request.before.rstrip(" \t")
        trailing_space = request.before[len(before) :]
        prompt = self.prompts.build(before, request.after, request.budget)
        generation = self.engine.generate(
            prompt.tokens,
            max_new_tokens=request.max_new_tokens,
            stop_tokens=self.stop_tokens,
            time_limit_s=request.time_limit_s,
            cancelled=cancelled,
            should_stop=lambda tokens: line_is_complete(self.decode(tokens)),
        )
        raw = self.decode(generation.tokens)
        text = postprocess(raw.removeprefix(trailing_space), request.after)
        return CompletionResult(text=text, raw=raw, generation=generation)
