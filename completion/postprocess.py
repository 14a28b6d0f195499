"""Turn the model's raw continuation into the text to insert.

For now: one line of code, with what the model repeated of the text after the cursor removed.
Each step is a small pure function so that real bad outputs can be kept as test cases.
"""

from __future__ import annotations


def _split_leading_newline(text: str) -> tuple[str, str]:
    """("\\n", rest) when the completion starts on a new line, else ("", text)."""
    stripped = text.lstrip("\r\n")
    if stripped != text:
        return "\n", stripped
    return "", text


def line_is_complete(text: str) -> bool:
    """Whether a single-line completion has ended, so generation can stop early."""
    _, body = _split_leading_newline(text)
    return "\n" in body


def one_line(text: str) -> str:
    """The rest of the cursor's line, or the next line when the model starts a new one at once.

    A model that ends the cursor's line straight away ("\\n    return x") means the code goes
    on the next line; that line, with its indentation, is the suggestion.
    """
    newline, body = _split_leading_newline(text)
    line = body.split("\n", 1)[0].rstrip()
    if not line.strip():
        return ""
    return newline + line


def remove_suffix_overlap(completion: str, rest_of_line: str) -> str:
    """Drop the end of `completion` that repeats the start of the text after the cursor.

    With the cursor in `print(|)`, a model writing `x)` would otherwise leave `print(x))`.
    """
    if "\n" in completion:
        return completion
    rest = rest_of_line.rstrip()
    for length in range(min(len(rest), len(completion)), 0, -1):
        if completion.endswith(rest[:length]):
            return completion[:-length].rstrip() if rest[:length].strip() else completion
    return completion


def postprocess(raw: str, after: str) -> str:
    """The suggestion to show for raw model output `raw` with `after` following the cursor."""
    rest_of_line = after.split("\n", 1)[0]
    return remove_suffix_overlap(one_line(raw), rest_of_line)
