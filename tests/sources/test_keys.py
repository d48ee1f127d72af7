import re

import pytest

from sources.keys import KEY, KEY_CHARS, KEY_MAX_LENGTH, KEY_PATTERN, is_key, key_from

KEYS = ["a", "0", "reuters-wu", "ap:2026-05-02", "who.int_report-v2", "A-", "x" * KEY_MAX_LENGTH]
NOT_KEYS = ["", "_x", "-x", ".x", ":x", "a b", "a\\b", "a/b", "a]", "a;b", "a@b", "é", "ké",
            "a\n", "a\u0660"]


@pytest.mark.parametrize("text", KEYS)
def test_a_key_is_a_key_to_every_form_of_the_rule(text):
    assert is_key(text)
    assert re.match(KEY_PATTERN, text)
    assert re.fullmatch(rf"[{KEY_CHARS}]*", text)


@pytest.mark.parametrize("text", NOT_KEYS)
def test_anything_else_is_refused(text):
    assert not is_key(text)


# In Python "$" also matches before a final newline; the serializers trim it away first.
@pytest.mark.parametrize("text", [text for text in NOT_KEYS if not text.endswith("\n")])
def test_the_whole_value_pattern_refuses_what_is_key_refuses(text):
    assert not re.search(KEY_PATTERN, text)


def test_a_key_embeds_in_a_citation():
    assert re.findall(rf"@({KEY})", "[@ap:2026-05-02; @who.int_x, p. 2]") == [
        "ap:2026-05-02", "who.int_x"]


@pytest.mark.parametrize("text, key", [
    ("Reuters / Wu", "Reuters-Wu"),
    ("_Smith2020_", "Smith2020"),
    ("über:alles", "ber:alles"),
    ("a\\b", "a-b"),
    ("x" * 200, "x" * KEY_MAX_LENGTH),
    # Cut where a separator falls: the key still ends with a letter or digit.
    ("x" * (KEY_MAX_LENGTH - 1) + " / more", "x" * (KEY_MAX_LENGTH - 1)),
])
def test_key_from_makes_a_key_of_any_text(text, key):
    assert key_from(text) == key
    assert is_key(key_from(text))
