"""The server's settings (server/settings.py) are the one source: VS Code's package.json
schema, the extension's list of keys the server reads, and the docs that list them must agree
with it, and the three entry points (LSP settings, CLI flags, evaluation) share one set of
request defaults (completion/options.py)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

from codegen_complete.completion.options import DEFAULTS, INTERACTIVE, Options
from codegen_complete.server.cli import _complete_parser
from codegen_complete.server.commands import _eval_parser, context_options
from codegen_complete.server.settings import SETTINGS, Settings, default_of

REPO = Path(__file__).resolve().parents[1]
VSCODE = REPO / "editors" / "vscode"


def schema_mismatches(properties: dict[str, Any], extension_keys: list[str]) -> list[str]:
    """How package.json's properties and the extension's key list differ from SETTINGS."""
    problems = []
    for setting in SETTINGS:
        name = f"codegenComplete.{setting.key}"
        entry = dict(properties.get(name) or {})
        if not entry:
            problems.append(f"{name}: missing from package.json")
            continue
        description = entry.pop("markdownDescription", None) or entry.pop("description", None)
        expected = {**setting.schema, "default": default_of(setting)}
        if entry != expected:
            problems.append(f"{name}: package.json has {entry}, the server says {expected}")
        if description != setting.description:
            problems.append(f"{name}: description {description!r} != {setting.description!r}")
    server_keys = [setting.key for setting in SETTINGS]
    if extension_keys != server_keys:
        problems.append(f"extension.js SERVER_KEYS {extension_keys} != {server_keys}")
    return problems


def package_properties() -> dict[str, Any]:
    package = json.loads((VSCODE / "package.json").read_text())
    properties: dict[str, Any] = package["contributes"]["configuration"]["properties"]
    return properties


def extension_keys() -> list[str]:
    source = (VSCODE / "extension.js").read_text()
    match = re.search(r"const SERVER_KEYS = \[(.*?)\];", source, re.S)
    assert match, "extension.js must list SERVER_KEYS"
    return re.findall(r"'([A-Za-z]+)'", match.group(1))


def test_vscode_schema_matches_the_server() -> None:
    assert schema_mismatches(package_properties(), extension_keys()) == []


def test_every_setting_has_one_type_that_a_settings_ui_can_edit() -> None:
    # VS Code's Settings UI offers no input box for a union type such as ["string", "null"].
    for setting in SETTINGS:
        assert setting.schema["type"] in ("string", "integer", "number", "boolean", "array"), (
            setting.key
        )


def test_a_drifted_schema_is_caught() -> None:
    properties = package_properties()
    properties["codegenComplete.maxLines"] = {**properties["codegenComplete.maxLines"]}
    properties["codegenComplete.maxLines"]["default"] = 8
    del properties["codegenComplete.timeLimit"]
    problems = schema_mismatches(properties, [*extension_keys(), "colour"])
    assert len(problems) == 3


def test_the_docs_name_every_setting_with_its_default() -> None:
    vscode_readme = (VSCODE / "README.md").read_text()
    nvim_readme = (REPO / "editors" / "nvim" / "README.md").read_text()
    readme = (REPO / "README.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.key}`" in nvim_readme, setting.key
        assert f"`{setting.key}`" in readme, setting.key
        row = re.search(rf"\| `codegenComplete\.{setting.key}` \| ([^|]*) \|", vscode_readme)
        assert row, f"editors/vscode/README.md has no row for {setting.key}"
        default = default_of(setting)
        if default not in (None, [], ""):
            shown = json.dumps(default).strip('"').removesuffix(".0")
            assert row.group(1).strip() == f"`{shown}`", setting.key


def test_the_entry_points_share_the_request_defaults() -> None:
    # The server differs only in starting a new place with a small prompt (it warms the full
    # one in idle time; one-shot callers cannot) and in holding back suggestions the model is
    # unsure of (in an editor a wrong one is in the way; a one-shot caller wants a guess).
    assert Settings().options() == INTERACTIVE
    one_shot = dataclasses.replace(INTERACTIVE, cold_prompt_tokens=None, hold_back_unsure=False)
    assert one_shot == DEFAULTS == Options()
    cli = _complete_parser().parse_args(["file.py:1"])
    assert cli.time_limit == DEFAULTS.time_limit_s
    assert context_options(cli) == DEFAULTS
    evaluation = _eval_parser().parse_args([])
    assert context_options(evaluation) == DEFAULTS
    assert cli.max_tokens == DEFAULTS.max_new_tokens
    assert (cli.context == "on") == DEFAULTS.context
