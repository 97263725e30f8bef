"""The built-in demo corpus: verse composed from small grammars, so the project ships no one else's text.

English lines come from a few dozen templates over a ~250-word vocabulary
(grouped in 4-line stanzas); Chinese lines are 5+5-character couplets built
from classes of nature words, which makes "did the model keep the form?"
easy to see.  A few thousand lines: enough to train on in minutes on a CPU.
"""
from __future__ import annotations

import random
from pathlib import Path

_NOUNS = (
    "moon sea river stone heart night rose wind star field bird fire shadow dream song rain snow hill tree "
    "garden door road flame ship tower crown sword bell voice mirror cloud dawn evening ocean forest king "
    "maiden lover child soul grave morning summer winter spring autumn light silence wave shore wing valley "
    "meadow candle harbour island mountain lantern orchard feather thunder memory kingdom window"
).split()


def _plural(noun: str) -> str:
    if noun == "child":
        return "children"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "sh", "ch")) else "s")


_PLURAL = {n: _plural(n) for n in _NOUNS}
_ADJS = (
    "silver golden quiet pale dark bright gentle cold sweet wild lonely ancient hollow tender broken distant "
    "burning silent weary fair bitter green deep soft endless secret faded holy restless sleeping crimson "
    "little white sorrowful shining frozen"
).split()
_INTRANSITIVE = (
    "sleep sing burn fall weep wait wander fade rise dream tremble shine whisper call turn break glow linger "
    "drift mourn"
).split()
_TRANSITIVE = (
    "hold kiss keep follow remember carry light break call find lose touch crown hide seek praise bless"
).split()
_PREPS = "in on beneath beyond above across through under upon within among against toward over by".split()
_ADVS = ["softly", "slowly", "gently", "alone", "again", "forever", "tonight", "at last", "no more", "once more"]
_PRONOUNS = ("i", "we", "you", "they")

_TEMPLATES = (
    "the {adj} {noun} {vs} {prep} the {noun}",
    "{prep} the {adj} {noun}, i {vt} thee",
    "o {adj} {noun}, {vt} me {adv}",
    "and all the {nouns} {vi} {prep} the {adj} {noun}",
    "my {noun} is {adj} as the {noun}",
    "when {nouns} {vi} and the {noun} {vs}",
    "i {vt} the {noun} of {adj} {nouns}",
    "a {adj} {noun} {prep} a {adj} {noun}",
    "the {nouns} of {noun} are {adj} and {adj}",
    "thy {noun} {vts} my {adj} {noun}",
    "{adv}, the {noun} {vs}",
    "where the {adj} {nouns} {vi} {adv}",
    "let the {noun} {vi} {prep} the {noun}",
    "{pron} {vt} the {adj} {noun} {adv}",
    "how {adj} the {noun}, how {adj} the {noun}",
    "no {noun} {vs} {prep} the {adj} {nouns}",
    "the {noun} and the {noun} {vi} {adv}",
    "{pron} {vi} like {nouns} {prep} the {noun}",
)
_ENDINGS = ("", "", ",", ",", ".", ";", "!")


def _verb_s(verb: str) -> str:
    return verb + ("es" if verb.endswith(("s", "sh", "ch")) else "s")


def english_line(rng: random.Random) -> str:
    """One line from a random template, capitalised, with random closing punctuation."""
    template = rng.choice(_TEMPLATES)
    fill = {
        "adj": lambda: rng.choice(_ADJS),
        "noun": lambda: rng.choice(_NOUNS),
        "nouns": lambda: _PLURAL[rng.choice(_NOUNS)],
        "vi": lambda: rng.choice(_INTRANSITIVE),
        "vs": lambda: _verb_s(rng.choice(_INTRANSITIVE)),
        "vt": lambda: rng.choice(_TRANSITIVE),
        "vts": lambda: _verb_s(rng.choice(_TRANSITIVE)),
        "prep": lambda: rng.choice(_PREPS),
        "adv": lambda: rng.choice(_ADVS),
        "pron": lambda: rng.choice(_PRONOUNS),
    }
    parts = template.split("{")
    out = [parts[0]]
    for part in parts[1:]:
        key, rest = part.split("}", 1)
        out.append(fill[key]() + rest)
    line = "".join(out)
    line = line.replace(" i ", " I ").replace(" i,", " I,")
    return line[0].upper() + line[1:] + rng.choice(_ENDINGS)


_ZH = {
    "A": "白青红明孤寒长高远清深空春秋暮新",
    "N": "山水月风花云雨雪江河天星松竹鸟日夜舟城楼草烟石林",
    "V": "落照飞入流过开生鸣归起满断映",
    "P": "中上下外里前边",
    "M": "一千万三几",
}
_ZH_PATTERNS = ("ANVAN", "MNVNP", "NVANP", "AANVN", "ANNPV", "MNANV")


def chinese_couplet(rng: random.Random) -> str:
    """Two parallel five-character lines (the second follows the first's word classes), "，" and "。"."""
    pattern = rng.choice(_ZH_PATTERNS)

    def line() -> str:
        chars = [rng.choice(_ZH[cls]) for cls in pattern]
        if pattern.startswith("AA"):  # reduplication: 青青, 深深
            chars[1] = chars[0]
        return "".join(chars)

    return f"{line()}，{line()}。"


def write_demo_folder(target: str | Path, seed: int = 0, english_lines: int = 4000, couplets: int = 2000) -> Path:
    """Writes ``english_verse.txt`` (4-line stanzas) and ``chinese_couplets.txt`` under ``target``; returns it.

    Deterministic for a seed; files already there are kept, so calling it again is free.
    """
    target = Path(target)
    target.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    english = target / "english_verse.txt"
    if not english.exists():
        lines: dict[str, None] = {}
        while len(lines) < english_lines:
            lines[english_line(rng)] = None
        ordered = list(lines)
        stanzas = ["\n".join(ordered[i : i + 4]) for i in range(0, english_lines, 4)]
        english.write_text("\n\n".join(stanzas) + "\n", "utf-8")
    chinese = target / "chinese_couplets.txt"
    if not chinese.exists():
        pairs: dict[str, None] = {}
        while len(pairs) < couplets:
            pairs[chinese_couplet(rng)] = None
        chinese.write_text("\n".join(pairs) + "\n", "utf-8")
    return target
