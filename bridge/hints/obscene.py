"""Find obscene or insulting words (п. 3.6), including disguised spellings.

Every raw word of the message is read in several ways before it is compared with the root
lists of ``data/``: as written; with Latin look-alike letters and digits read as Cyrillic
(«xуй», «бл9», «пи3дец»); with dots and dashes between letters removed («б.л.я»); with repeated
letters collapsed («бляяяя»); and letters spaced out («б л я д ь») are joined first. A word
with masked letters («х*й», «п**дец», «о..ели») is obscene when its mask can spell a known form.
Roots are matched at the start of a word (after a verbal prefix), never as substrings, so
«страхуй», «оскорблять», «рубля», «требую», «скипидар» stay innocent; whole-word exceptions
cover what anchoring cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bridge.hints.lexicon import read_entries
from bridge.hints.morph import analyzer, detransliterate, forms, parses, spell_latin
from bridge.hints.text import fold, is_quoted

# «а» stands for an unstressed «о» as people write it by ear («ахуеть», «ahuet»).
PREFIX = r"(?:на|по|от|ни|до|за|раз|рас|вы|о|а|обо|об|пере|при|под|про|у|с)?"
LOOKALIKES = str.maketrans(
    {"a": "а", "b": "б", "c": "с", "e": "е", "h": "н", "k": "к", "m": "м", "o": "о",
     "p": "р", "t": "т", "x": "х", "y": "у", "u": "и", "3": "з", "0": "о", "6": "б",
     "9": "я", "4": "ч", "@": "а", "$": "с",
     # phonetic readings, for words that mix alphabets («пизdец», «бlядь»)
     "d": "д", "l": "л", "z": "з", "i": "и", "r": "р", "s": "с", "g": "г", "n": "н",
     # Greek look-alikes and the euro sign («χуйня», «εбанутые», «ху€во»)
     "χ": "х", "ε": "е", "α": "а", "ο": "о", "ρ": "р", "κ": "к", "τ": "т", "μ": "м",
     "υ": "у", "γ": "у", "λ": "л", "δ": "д", "€": "е"}
)
# Letters drawn with several signs, and «пи» written as the number («π3дец», «3,14здец»,
# «х|/|йня»): read before the message is split into words.
DRAWN = ((re.compile(r"\|/\|"), "и"), (re.compile(r"\}\|\{"), "ж"),
         (re.compile(r"π|(?<![\d.,])3[.,]14(?=[а-яa-z])"), "пи"), (re.compile("…"), ".."))
MASK_CHARS = "*#%!&?_"
# Latin read by sound, not by look: «hyilo», «hui» («h» is «х», not the look-alike «н»).
PHONETIC = str.maketrans({"h": "х", "y": "у", "u": "у", "i": "и", "j": "й", "e": "е"})
# What self-censoring writers hide behind «*» or «@»: a vowel, «й», or a pair of letters.
MASK_FILLS = ("", "а", "е", "и", "о", "у", "ы", "я", "й", "ю", "уй", "ен", "зд", "ид", "ед",
              "ля", "б", "л", "х", "н", "ху", "п")
# «!», «&» and «?» mask a letter only inside a word («п!здец», «бл&дь», «ху?ня»), never at
# its end.
RAW_WORD_RE = re.compile(r"[\w*#%@$€.\-]+(?:[!&?]+[\w*#%@$€.\-]+)*")
SPACED_RE = re.compile(r"(?<![\w*])(?:[\w*][ .\-_]+){2,}[\w*](?![\w*])")
CYRILLIC_RE = re.compile(r"[а-я]")
LATIN_ONLY_RE = re.compile(r"^[a-z]+$")
LATIN_MASKED_RE = re.compile(r"^[a-z*#%@]+$")
# The patterns of the spellings below, compiled once (they run for every new raw word).
REPEATED_RE = re.compile(r"(.)\1+")
DRAWL_RE = re.compile(r"(?<=\w\w)([аеиоуыя])\1{2,}$")
SEPARATORS_RE = re.compile(r"[.\-_]")
DOTS_RE = re.compile(r"(?<=\w)\.{2,}(?=\w)|\.{2,}$")
MASK_RUNS_RE = re.compile(r"[*#%!&?_]+")
FILL_RUNS_RE = re.compile(r"[*#%@!&?_]+")
NAME_TAGS = frozenset({"Surn", "Name", "Patr", "Geox", "Orgn"})
MIN_FUZZY = 5  # a misspelt insult is looked for only in unknown words this long or longer
MAX_FUZZY = 40  # … and no longer: a hostile 50,000-letter «word» took seconds of copies


@dataclass(frozen=True)
class Finding:
    """An obscene or insulting word: what it read as, its kind, and whether it was quoted."""

    word: str
    kind: str  # 'obscene' | 'insult'
    quoted: bool


@lru_cache(maxsize=1)
def root_pattern() -> re.Pattern[str]:
    """Compile ``obscene_roots.txt`` (see its header for MODE REGEX) into one alternation."""
    alternatives = []
    for entry in read_entries("obscene_roots.txt"):
        mode, _, regex = entry.partition(" ")
        regex = regex.strip().replace("{P}", PREFIX)
        wrapped = {"start": f"^(?:{regex})", "any": f"(?:{regex})", "word": f"^(?:{regex})$"}
        alternatives.append(wrapped[mode])
    return re.compile("|".join(alternatives))


@lru_cache(maxsize=1)
def exceptions() -> frozenset[str]:
    """Innocent whole words that a root would otherwise catch."""
    return frozenset(read_entries("obscene_exceptions.txt"))


@lru_cache(maxsize=None)
def word_list(name: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """A lemma list of ``data/`` as (every generated form, prefixes of the «word*» lines)."""
    entries = read_entries(name)
    prefixes = tuple(entry[:-1] for entry in entries if entry.endswith("*"))
    lemmas = [entry for entry in entries if not entry.endswith("*")]
    lemmas += [prefix for prefix in prefixes if analyzer().word_is_known(prefix)]  # «дебил*»
    words = frozenset().union(*(forms(entry) | {entry} for entry in lemmas))
    return frozenset(word.replace("ё", "е") for word in words), prefixes


def insult_rules() -> tuple[frozenset[str], tuple[str, ...]]:
    """The insult list (п. 3.6) as (whole words, prefixes)."""
    return word_list("insults.txt")


def collapse_repeats(word: str) -> str:
    """Collapse runs of one letter: «бляяяя» → «бля», «сууука» → «сука»."""
    return REPEATED_RE.sub(r"\1", word)


def drop_drawl(word: str) -> str:
    """Drop a drawn-out ending of another letter: «бляааа» → «бля», «сукааааа» stays «сука»
    after ``collapse_repeats``. The pattern runs on the word's last run of one letter and the two
    letters before it, where any drawl lies: on the whole of «ааа…а1» (100,000 letters) it tried
    every start of the run, a minute and a half for one message."""
    run = len(word) - len(word.rstrip(word[-1:]))
    tail = max(0, len(word) - run - 2)
    return word[:tail] + DRAWL_RE.sub("", word[tail:])


def read_as_cyrillic(word: str) -> str:
    """Read Latin look-alikes and digits as Cyrillic when the word is meant to be Russian."""
    if CYRILLIC_RE.search(word) or LATIN_ONLY_RE.match(word):
        return word.translate(LOOKALIKES)
    return word


def spellings(raw: str) -> set[str]:
    """Return the readings of one raw word (without masks) to compare with the lists."""
    plain = raw.strip(".-_")
    squashed = SEPARATORS_RE.sub("", plain)
    readings = {plain, squashed, read_as_cyrillic(squashed), drop_drawl(squashed)}
    # each part of a hyphenated word («ё-моё-ёпта», «ну-ка-бл*ть»), not single spaced letters
    readings |= {part for part in plain.split("-") if len(part) > 1} if "-" in plain else set()
    readings |= {by_ear(reading) for reading in readings if CYRILLIC_RE.match(reading)}
    if LATIN_ONLY_RE.match(squashed):
        readings.add(detransliterate(squashed))  # «suki», «pizdec» typed in transliteration
        sounded = squashed.translate(PHONETIC).translate(LOOKALIKES)
        if sounded.startswith("ху"):  # only this root: «cherry» must not read as «схеру»
            readings.add(sounded)
    return readings | {collapse_repeats(reading) for reading in readings}


# Spellings by ear of a word nobody would find in a dictionary: «йо» for «ё» («йобаный»),
# «и» for an unstressed «е» and a devoiced «п» («ипанутые»), «с» for «з» before «д» («писдец»),
# «сц» for «с» («сцуки»).
BY_EAR = ((re.compile(r"^йо"), "е"), (re.compile(r"^(.{0,4}?)ип(?=ан|ат|ну)"), r"\1еб"),
          (re.compile(r"(?<=^п[иеё])сд"), "зд"), (re.compile(r"^сц"), "с"))


BY_EAR_CUE_RE = re.compile(r"^йо|ип|^п[иеё]сд|^сц")


def by_ear(word: str) -> str:
    """WORD read as it sounds (BY_EAR) when the dictionary does not know it, else WORD."""
    if len(word) < 3 or not BY_EAR_CUE_RE.search(word) or analyzer().word_is_known(word):
        return word
    for pattern, replacement in BY_EAR:
        word = pattern.sub(replacement, word)
    return word


def masked_regex(raw: str) -> re.Pattern[str] | None:
    """For a self-censored word («х*й», «о..ели»), a regex its hidden letters may fill."""
    word = read_as_cyrillic(raw.strip("-_"))
    word = DOTS_RE.sub("*", word)
    if not any(char in word for char in MASK_CHARS) or not CYRILLIC_RE.search(word):
        return None
    pieces = MASK_RUNS_RE.split(word)
    if sum(map(len, pieces)) > longest_form():
        return NO_FORM   # no form holds that many written letters; compiling took seconds on «а*а*…»
    return re.compile("[а-я]{0,4}".join(re.escape(piece) for piece in pieces) + "$")


NO_FORM = re.compile(r"(?!)")  # a masked word that no obscene form can fill


@lru_cache(maxsize=1)
def longest_form() -> int:
    return max(map(len, read_entries("obscene_forms.txt")))


def mask_fills(raw: str) -> list[str]:
    """Readings of a masked word with each mask run («*», «@», «#») filled by likely letters."""
    word = DOTS_RE.sub("*", raw.strip("-_"))
    word = word.lstrip("@")   # «@Ира»: a mention (VK, Telegram), not a masked first letter
    runs = FILL_RUNS_RE.split(word)
    if len(runs) < 2 or len(runs) > 3:
        return []
    readings = [""]
    for index, piece in enumerate(runs):
        tail = [piece] if index == 0 else [fill + piece for fill in MASK_FILLS]
        readings = [head + part for head in readings for part in tail]
    if LATIN_MASKED_RE.match(word):  # «pi**ets», «h*r»: transliteration with a mask
        latin = [spell_latin(piece, "ц") for piece in runs]
        readings_latin = [""]
        for index, piece in enumerate(latin):
            tail = [piece] if index == 0 else [fill + piece for fill in MASK_FILLS]
            readings_latin = [head + part for head in readings_latin for part in tail]
        return [read_as_cyrillic(reading) for reading in readings] + readings_latin
    return [read_as_cyrillic(reading) for reading in readings]


def classify_reading(reading: str) -> str | None:
    """Return 'obscene', 'insult' or None for one reading of a word."""
    if reading in exceptions():
        return None
    if root_pattern().search(reading):
        return "obscene"
    words, prefixes = insult_rules()
    if reading in words or reading.startswith(prefixes):
        return "insult"
    if is_misspelt_insult(reading):
        return "insult"
    return None


@lru_cache(maxsize=1)
def misspellings() -> frozenset[str]:
    """Every insult form (six letters or more) with one letter left out: «дбилы», «дегенрат»."""
    words, _ = insult_rules()
    return frozenset(word[:i] + word[i + 1:] for word in words if len(word) > MIN_FUZZY
                     for i in range(len(word)))


def is_misspelt_insult(reading: str) -> bool:
    """True for an unknown word one typo away from an insult (a letter left out, added or
    changed) — never for a dictionary word («родина» is not «уродина»)."""
    if not MIN_FUZZY <= len(reading) <= MAX_FUZZY or not reading.isalpha() or \
            analyzer().word_is_known(reading):
        return False
    words, _ = insult_rules()
    dropped = {reading[:i] + reading[i + 1:] for i in range(len(reading))}
    if reading not in misspellings() and dropped.isdisjoint(words) and \
            dropped.isdisjoint(misspellings()):
        return False  # tested first: the parse below costs more, for an unknown word
    # «Гурдин», «Дуран»: a surname one letter away from an insult
    return not any(NAME_TAGS & parse.tag.grammemes for parse in parses(reading)[:2])


@lru_cache(maxsize=100_000)
def classify_raw(raw: str) -> tuple[str, str] | None:
    """Return (reading, kind) when the raw word is obscene or insulting, else None."""
    if raw in exceptions():
        return None
    mask = masked_regex(raw)
    if mask is not None:
        form = next((f for f in read_entries("obscene_forms.txt") if mask.match(f)), None)
        if form:
            return form, "obscene"
    for reading in mask_fills(raw):
        if reading not in exceptions() and root_pattern().search(reading):
            return reading, "obscene"
    if mask is not None:
        return None
    for reading in sorted(spellings(raw)):
        kind = classify_reading(reading)
        if kind:
            return reading, kind
    return None


def raw_words(folded: str) -> list[tuple[str, int]]:
    """Split folded text into raw words (keeping masks and look-alikes) with their offsets."""
    found = [(m.group(), m.start()) for m in RAW_WORD_RE.finditer(folded)]
    for match in SPACED_RE.finditer(folded):
        found.append((re.sub(r"[ .\-_]", "", match.group()), match.start()))
    return found


# The obscene word named without being written: «на три буквы», «идите на х» (session 7, set v18).
UNWRITTEN_RE = re.compile(r"(?<![а-я])на\s+(?:три|3)\s+(?:[а-я]+\s+)?букв[а-я]*|(?<![а-я])"
                          r"(?:иди|идите|пошел|пошла|пошли|катись|катитесь|вали|валите)\s+на\s+"
                          r"х(?![а-я*])")


def find_obscene(folded: str, quote_spans: tuple[tuple[int, int], ...] = ()) -> list[Finding]:
    """Return every obscene or insulting word of FOLDED text (see ``text.fold``)."""
    findings, seen = [], set()
    folded = fold(folded)
    for pattern, letters in DRAWN:
        folded = pattern.sub(letters, folded)
    for match in UNWRITTEN_RE.finditer(folded):
        quoted = is_quoted(match.start(), quote_spans)
        findings.append(Finding(word=match.group(), kind="obscene", quoted=quoted))
        seen.add((match.group(), match.start()))
    for raw, offset in raw_words(folded):
        result = classify_raw(raw)
        if result and (result[0], offset) not in seen:  # «б.л.я» is both a word and a run
            seen.add((result[0], offset))
            quoted = is_quoted(offset, quote_spans)
            findings.append(Finding(word=result[0], kind=result[1], quoted=quoted))
    return findings
