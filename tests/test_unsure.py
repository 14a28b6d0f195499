"""A one-line suggestion the model is unsure of stays off the screen in an editor; one-shot
callers (the CLI, the evaluation) get the model's best guess whatever its probability."""

from __future__ import annotations

import dataclasses

from codegen_complete.completion.completer import Completer
from codegen_complete.completion.options import DEFAULTS, INTERACTIVE
from codegen_complete.completion.suggest import DocumentSnapshot, suggest
from codegen_complete.context.classify import Mode
from codegen_complete.models.load import load_model
from codegen_complete.models.store import InstalledModel

TEXT = "some notes about the plan\n  "  # the cursor on a line with nothing typed yet
EDITOR = dataclasses.replace(INTERACTIVE, cold_prompt_tokens=None)


def with_threshold(completer: Completer, threshold: float | None) -> Completer:
    completer.model = dataclasses.replace(completer.model, min_line_probability=threshold)
    return completer


def test_the_editor_holds_back_a_line_the_model_gives_too_low_a_probability(
    tiny_model: InstalledModel,
) -> None:
    completer = load_model(tiny_model, threads=1)
    document = DocumentSnapshot(text=TEXT, offset=len(TEXT), mode=Mode.SINGLE_LINE)
    shown = suggest(completer, document, EDITOR)
    assert shown.text and not shown.unsure  # the tiny model has no threshold measured
    probability = shown.line_probability
    assert probability is not None and 0 < probability <= 1

    with_threshold(completer, min(1.0, probability * 2))
    held = suggest(completer, document, EDITOR)
    assert held.text == "" and held.unsure
    assert suggest(completer, document, DEFAULTS).text == shown.text  # one-shot: shown

    with_threshold(completer, probability / 2)
    assert suggest(completer, document, EDITOR).text == shown.text
