"""Deterministic story generator for citation-engine benchmarks and tests."""

from __future__ import annotations

import random

from stories.citations import SourceInfo

_OUTLETS = ["Reuters", "Bloomberg", "Financial Times", "Caixin", "Nikkei", "AP", "The Economist"]
_SUBJECTS = ["The ministry", "Analysts at the bank", "The company", "Officials in Beijing",
             "The central bank", "Investors", "The regulator", "Its chief executive",
             "A spokesperson", "U.S. lawmakers"]
_VERBS = ["said", "estimated", "reported", "forecast", "confirmed", "warned", "noted", "argued"]
_OBJECTS = ["that capital spending would rise", "that exports fell", "that margins narrowed",
            "that demand for chips recovered", "that the plan exceeds its earlier commitment",
            "that output slowed in the second quarter", "that prices stabilised",
            "that the *new* factory opened on schedule", "that **quarterly** revenue grew"]
_FIGURES = ["by 6.5%", "to $380 billion", "by 12 percent", "to 1.2 million units", "by €4.1bn",
            "to 380 billion yuan", "by 0.25 percentage points", "in 2023", "since 2021"]
_FILLER_TEXT = ("the latest data point to a broader shift in how the sector plans "
                "investment over the coming years while smaller firms struggle to keep pace "
                "with larger rivals")
_FILLER = _FILLER_TEXT.split(" ")
_LOCATORS = ["p. 2", "p. 14", "para. 3", "table 1", "chapter 4", "slide 9", "at 12:30"]


def _key(index: int) -> str:
    return f"{_OUTLETS[index % len(_OUTLETS)].lower().replace(' ', '-')}-{index:04d}"


def make_story(words: int = 50_000, claims: int = 2_000, sources: int = 300,
               seed: int = 1) -> tuple[str, list[str], dict[str, SourceInfo]]:
    """A (body, source_list, library) triple of roughly `words` words and exactly `claims`
    citation groups of 1-3 keys over `sources` sources; same seed, same story."""
    rng = random.Random(seed)
    keys = [_key(i) for i in range(sources)]
    library = {key: SourceInfo(key=key, title=f"Report {i} on industrial policy",
                               outlet=_OUTLETS[i % len(_OUTLETS)],
                               url=f"https://example.com/{key}",
                               health="broken" if i % 97 == 5 else "ok")
               for i, key in enumerate(keys)}
    source_list = keys[: sources // 2]
    rng.shuffle(source_list)  # a writer who reordered part of the list
    # about two whitespace-separated "words" per claim go to its citation group
    words_per_claim = max(words // max(claims, 1) - 2, 4)
    blocks: list[str] = []
    paragraph: list[str] = []
    for index in range(claims):
        paragraph.append(_sentence(rng, keys, words_per_claim))
        if len(paragraph) >= rng.randint(3, 6) or index == claims - 1:
            blocks.append(_block(rng, paragraph, len(blocks)))
            paragraph = []
    return "\n\n".join(blocks) + "\n", source_list, library


def _sentence(rng: random.Random, keys: list[str], size: int) -> str:
    head = f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)}"
    head += f" {rng.choice(_FIGURES)}"
    filler = max(size - len(head.split()), 0)
    start = rng.randrange(len(_FILLER))
    tail = " ".join(_FILLER[(start + i) % len(_FILLER)] for i in range(filler))
    cited = rng.sample(keys, rng.choice((1, 1, 1, 2, 2, 3)))
    items = []
    for key in cited:
        items.append(f"@{key}, {rng.choice(_LOCATORS)}" if rng.random() < 0.2 else f"@{key}")
    text = f"{head}, {tail}" if tail else head
    return f"{text} [{'; '.join(items)}]."


def _block(rng: random.Random, sentences: list[str], index: int) -> str:
    roll = rng.random()
    if index and index % 12 == 0:
        return f"## Section {index // 12}\n\n" + _wrap(" ".join(sentences))
    if roll < 0.1:
        return "\n".join(f"- {sentence}" for sentence in sentences)
    if roll < 0.15:
        return "\n".join(f"> {sentence}" for sentence in sentences)
    return _wrap(" ".join(sentences))


def _wrap(text: str, width: int = 78) -> str:
    """Hard-wrap like many writers' editors do, so claims span source lines."""
    lines, line = [], ""
    for word in text.split(" "):
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(lines)
