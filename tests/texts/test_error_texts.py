"""Every refusal Langgan raises has its words in both languages, and reads whole."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from crm_core.errors import CatalogRowError, InputError
from message_templates.error_texts import describe

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "crm_core", "scheduler", "message_templates")
ERRORS = {
    "LangganError", "InputError", "SettingsError", "StoreError", "TemplateProblem",
    "LexiconProblem", "KeyMissing", "WrongKey", "CellError", "StoreNotSynced",
}  # fmt: skip
CATALOGS = {
    lang: tomllib.loads((ROOT / "message_templates" / lang / "errors.toml").read_text("utf-8"))
    for lang in ("id", "en")
}
ENV = ImmutableSandboxedEnvironment()
ENV.filters["rupiah"] = str


def placeholders(text: str) -> set[str]:
    return set(meta.find_undeclared_variables(ENV.parse(text)))


def raised() -> list[tuple[str, str, set[str]]]:
    """(where, code or a pattern of codes, the values given) for every error made."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"))
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                    continue
                name, where = node.func.id, f"{path.relative_to(ROOT)}:{node.lineno}"
                given = {k.arg for k in node.keywords if k.arg}
                if name in ERRORS and node.args:
                    found += [(where, code, given) for code in _codes(node.args[0], where)]
                elif name == "NotFound" and len(node.args) > 1:
                    found += [
                        (where, c, given | {"reference"}) for c in _codes(node.args[1], where)
                    ]
    return found


def _codes(node: ast.expr, where: str) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _codes(node.body, where) + _codes(node.orelse, where)
    if isinstance(node, ast.JoinedStr):  # f"no_such_{field}": a pattern of codes
        return ["".join(v.value if isinstance(v, ast.Constant) else "*" for v in node.values)]
    raise AssertionError(f"{where}: an error's code must be written out, not computed")


def test_both_languages_have_every_text_with_the_same_values():
    assert set(CATALOGS["id"]) == set(CATALOGS["en"])
    for code, text in CATALOGS["id"].items():
        assert placeholders(text) == placeholders(CATALOGS["en"][code]), code


def test_every_error_raised_has_a_code_with_words_and_the_values_they_need():
    made = raised()
    assert len(made) > 150  # the scan sees the code base, not an empty folder
    used = set()
    for where, code, given in made:
        pattern = re.compile("^" + re.escape(code).replace(r"\*", "[a-z_]+") + "$")
        assert re.fullmatch(r"[a-z_*]+", code), f"{where}: {code!r} is a sentence, not a code"
        matches = [c for c in CATALOGS["en"] if pattern.match(c)]
        assert matches, f"{where}: {code!r} has no text in message_templates/*/errors.toml"
        for match in matches:
            missing = placeholders(CATALOGS["en"][match]) - given
            assert not missing, f"{where}: {match} needs {missing}"
        used.update(matches)
    internal = {"row_problem", "customers_ambiguous", "customer_not_found"}  # made in errors.py
    assert set(CATALOGS["en"]) - used - internal == set(), "texts no error uses"


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_text_renders_to_one_clean_sentence(lang: str):
    for code, text in CATALOGS[lang].items():
        values: dict[str, object] = {name: 7 for name in placeholders(text)}
        values |= {"missing": ("colour", "size"), "never": True}
        line = describe(InputError(code, **values), lang)
        assert line and "{{" not in line and "  " not in line, code
        assert line[0].isupper() or not line[0].isalpha(), code


def test_an_error_in_a_row_is_told_in_the_readers_language():
    error = CatalogRowError(4, InputError("price_empty", name="Kaos Polos"))
    assert describe(error, "id") == "Baris 4: Kaos Polos: harganya kosong."
    assert describe(error, "en") == "Row 4: Kaos Polos: the price is empty."
    assert str(error) == "Row 4: Kaos Polos: the price is empty."  # a log reads English


def test_every_line_the_command_prints_has_words_in_both_languages():
    cli = {
        lang: tomllib.loads((ROOT / "message_templates" / lang / "cli.toml").read_text("utf-8"))
        for lang in ("id", "en")
    }
    assert set(cli["id"]) == set(cli["en"])
    for key, text in cli["id"].items():
        assert placeholders(text) == placeholders(cli["en"][key]), key


def test_the_commands_help_is_in_indonesian_for_an_indonesian_shop():
    from bot.cli.language import _parsers, help_texts, speak
    from bot.cli.main import build_parser

    words = help_texts("id")
    parser = build_parser()
    written = {
        text
        for each in _parsers(parser)
        for text in [each.description]
        + [a.help for a in each._actions]
        + [c.help for a in each._actions for c in getattr(a, "_choices_actions", ())]
        if text and text != "==SUPPRESS=="
    }
    assert written - set(words) == set(), "help without Indonesian words"
    assert "katalog" in speak(parser, "id").format_help()
    assert "the catalog" in speak(build_parser(), "en").format_help()
