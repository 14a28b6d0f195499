"""The baseline every quality figure is compared with: plain fill-in-the-middle with the same
model and budget, as the usual harnesses run it. The family's published FIM format with the
text as given, no healing, no context, and the first line of the output (the second when the
first is empty) or the raw output for a block. It stops where the product stops generating
(end of line or block), so the two differ in what they show the model and keep, not in length.
"""

from __future__ import annotations

import time

from codegen_complete.completion.backend import Limits
from codegen_complete.completion.completer import MAX_TOKENS, Completer
from codegen_complete.completion.options import Options
from codegen_complete.completion.postprocess import Situation, unit_is_complete
from codegen_complete.completion.prompt import Prompt
from codegen_complete.context.classify import Mode
from codegen_complete.context.languages import LanguageSpec


def naive_complete(
    completer: Completer,
    before: str,
    after: str,
    mode: Mode,
    language: LanguageSpec | None,
    options: Options,
) -> str:
    prompts = completer.prompts
    windows = prompts.windows(before, after, options.budget)
    prompt = Prompt(
        prompts.assemble(completer.family.plain_template, windows), windows.prefix, windows.suffix
    )
    situation = Situation(before, after, mode, language, options.max_lines)
    limits = Limits(
        max_new_tokens=options.max_new_tokens or MAX_TOKENS[mode],
        deadline=time.perf_counter() + options.time_limit_s,
        should_stop=lambda text: unit_is_complete(text, situation),
    )
    return naive_cut(completer.backend.continue_prompt(prompt, limits).text, mode)


def naive_cut(raw: str, mode: Mode) -> str:
    """The baseline harnesses use: the first line (the second when the output starts with a
    newline), or for a block the raw output."""
    if mode is Mode.MULTI_LINE:
        return raw.rstrip()
    lines = raw.split("\n")
    if len(lines) > 1 and not lines[0].strip():
        return "\n" + lines[1]
    return lines[0]
