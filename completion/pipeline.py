"""From the text around a cursor to the suggestion: prompt, generate, post-process."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tokenizers import Tokenizer
from tree_sitter import Tree

from codegen_complete.completion.engine import Engine, Generation
from codegen_complete.completion.healing import Healing, TokenTexts, partial_word
from codegen_complete.completion.postprocess import (
    Situation,
    block_is_complete,
    line_is_complete,
    postprocess,
)
from codegen_complete.completion.prompt import Budget, ContextSnippet, PromptBuilder
from codegen_complete.completion.store import InstalledModel, ModelCorruptError
from codegen_complete.completion.templates import FAMILIES
from codegen_complete.context.classify import Mode
from codegen_complete.context.crossfile import imported_definitions
from codegen_complete.context.languages import LanguageSpec
from codegen_complete.context.snippets import similar_snippets
from codegen_complete.context.workspace import Workspace

# Token caps per mode: a line is rarely longer than 48 tokens; a block body gets room for
# about a dozen lines before the time cap matters.
MAX_TOKENS = {Mode.SINGLE_LINE: 48, Mode.MULTI_LINE: 160}


@dataclass(frozen=True)
class CompletionRequest:
    before: str  # document text up to the cursor
    after: str  # document text from the cursor on
    mode: Mode = Mode.SINGLE_LINE
    language: LanguageSpec | None = None
    max_new_tokens: int | None = None  # None: the mode's cap
    max_lines: int = 16
    time_limit_s: float | None = 30.0
    budget: Budget = field(default_factory=Budget)
    # Code from other files (most relevant first) and the current file's workspace path.
    context: tuple[ContextSnippet, ...] = ()
    path: str | None = None
    # Plain fill-in-the-middle for measurements: the family's published prompt format with the
    # text as is, the first line (or the raw block), no post-processing.
    naive: bool = False


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
        self.line_enders = line_ending_tokens(self.tokenizer)
        # The token texts that healing needs take most of a second to build: build them
        # beside the rest of the start-up, and wait only when a request needs them.
        self._token_texts: TokenTexts | None = None
        self._texts_thread = threading.Thread(target=self._build_texts, daemon=True)
        self._texts_thread.start()
        self.load_ms = round((time.perf_counter() - started) * 1000, 2)

    def _build_texts(self) -> None:
        self._token_texts = TokenTexts(self.tokenizer)

    @property
    def token_texts(self) -> TokenTexts:
        self._texts_thread.join()
        assert self._token_texts is not None
        return self._token_texts

    def decode(self, tokens: list[int]) -> str:
        text: str = self.tokenizer.decode(tokens, skip_special_tokens=False)
        return text

    def complete(
        self, request: CompletionRequest, cancelled: Callable[[], bool] = lambda: False
    ) -> CompletionResult:
        before, healed, constraint = self._heal(request)
        situation = Situation(
            request.before, request.after, request.mode, request.language, request.max_lines
        )

        def finished(tokens: list[int]) -> bool:
            text = self.decode(tokens).removeprefix(healed)
            if request.mode is Mode.MULTI_LINE:
                return block_is_complete(text, situation)
            return line_is_complete(text)

        prompt = self.prompts.build(
            before,
            request.after,
            request.budget,
            plain=request.naive,
            context=() if request.naive else request.context,
            path=request.path,
        )
        generation = self.engine.generate(
            prompt.tokens,
            max_new_tokens=request.max_new_tokens or MAX_TOKENS[request.mode],
            stop_tokens=self.stop_tokens,
            time_limit_s=request.time_limit_s,
            cancelled=cancelled,
            should_stop=finished,
            constraint=constraint,
        )
        raw = self.decode(generation.tokens)
        if request.naive:
            text = naive_cut(raw, request.mode)
        else:
            text = postprocess(raw.removeprefix(healed), situation)
        return CompletionResult(text=text, raw=raw, generation=generation)

    def _heal(self, request: CompletionRequest) -> tuple[str, str, Healing | None]:
        """(prompt text before the cursor, the text left out of it, the engine constraint).

        A prompt ending in spaces or in a partial word derails a BPE model: it has rarely seen
        a space token before a word, or a word cut where the user stopped typing. The spaces
        are left out and the first token may not end the line ("return |" means to go on);
        a partial word is left out and the model must spell it again (token healing).
        """
        if request.naive:
            return request.before, "", None
        before = request.before.rstrip(" \t")
        if before != request.before:
            return before, request.before[len(before) :], Healing("", None, self.line_enders)
        next_character = request.after[:1]
        word = partial_word(before)
        if word and not (next_character.isalnum() or next_character == "_"):
            return before[: -len(word)], word, Healing(word, self.token_texts)
        return before, "", None


def gather_context(
    text: str,
    offset: int,
    path: Path,
    root: Path,
    tree: Tree | None = None,
    neighbours: Sequence[tuple[Path, str]] | None = None,
) -> tuple[ContextSnippet, ...]:
    """What other files tell about the cursor, most relevant first: the definitions the file
    imports (Python), then windows of `neighbours` (open or recently edited files; by default
    the workspace's most recently modified files of the same language) similar to the lines
    above the cursor. Paths are relative to the workspace root; `tree` is the document's."""
    root = root.resolve()
    path = path.resolve()
    workspace = Workspace(root)
    snippets: list[ContextSnippet] = []
    if path.suffix in (".py", ".pyi"):
        definitions = imported_definitions(text, offset, path, workspace, tree)
        snippets += [
            ContextSnippet(d.path.resolve().relative_to(root).as_posix(), d.summary, d.order)
            for d in definitions
        ]
    if neighbours is None:
        neighbours = recent_files(workspace, path)
    documents = [
        (p.relative_to(root).as_posix(), t)
        for p, t in neighbours
        if p.resolve() != path and workspace.contains(p)
    ]
    snippets += [
        ContextSnippet(s.path, s.text, s.start_line)
        for s in similar_snippets(text[:offset], documents)
    ]
    return tuple(snippets)


RECENT_SCAN_LIMIT = 2000


def recent_files(workspace: Workspace, current: Path, count: int = 8) -> list[tuple[Path, str]]:
    """The workspace files of the current one's language modified most recently (a stand-in
    for "recently edited" when no editor says which files are open)."""
    suffixes = (current.suffix,) if current.suffix else ()
    # A bounded walk: in a huge tree, the first files found stand in for the rest.
    candidates = [
        p
        for p in itertools.islice(workspace.files(suffixes), RECENT_SCAN_LIMIT)
        if p.resolve() != current
    ]
    candidates.sort(key=lambda p: p.stat().st_mtime_ns, reverse=True)
    found = []
    for candidate in candidates[:count]:
        text = workspace.read(candidate)
        if text is not None:
            found.append((candidate.resolve(), text))
    return found


# Vocabulary spellings of tokens that are only whitespace up to a newline: byte-level BPE
# ("Ġ" space, "ĉ" tab, "Ċ" newline) and SentencePiece ("▁", "<0x0A>").
_LINE_ENDER = re.compile(r"^(?:[Ġĉ▁ ]|<0x20>|<0x09>)*(?:Ċ|<0x0A>|\n)")


def line_ending_tokens(tokenizer: Tokenizer) -> frozenset[int]:
    """Tokens that would end the cursor's line with nothing on it."""
    vocabulary = tokenizer.get_vocab(with_added_tokens=False)
    return frozenset(i for token, i in vocabulary.items() if _LINE_ENDER.match(token))


def naive_cut(raw: str, mode: Mode) -> str:
    """The baseline harnesses use: the first line (the second when the output starts with a
    newline), or for a block the raw output."""
    if mode is Mode.MULTI_LINE:
        return raw.rstrip()
    lines = raw.split("\n")
    if len(lines) > 1 and not lines[0].strip():
        return "\n" + lines[1]
    return lines[0]
