"""Text normalisation shared by templates and input: case, accents, punctuation, numbers.

Matching must ignore case, punctuation and extra spaces and tolerate a missing or wrong accent,
so templates and input are both *folded*: lower case, accents stripped, apostrophes and hyphens
turned into spaces. Numbers in words become digits with `text2num` (input only).
"""

from __future__ import annotations

import logging
import re
import unicodedata

from text_to_num import alpha2digit

_LOGGER = logging.getLogger(__name__)

_APOSTROPHES = str.maketrans({"'": " ", "\u2019": " ", "\u2018": " ", "`": " ", "-": " ",
                              "\u2010": " ", "\u2011": " ", "\u2013": " "})
_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^a-z0-9.° ]+")
_LONE_DOT = re.compile(r"(?<!\d)\.|\.(?!\d)")
_DECIMAL_COMMA = re.compile(r"(\d),(\d)")
_DIGIT_LETTER = re.compile(r"(\d)([a-z])")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")
"""A number token in folded text."""


def strip_accents(text: str) -> str:
    """Remove diacritics ("é" -> "e", "ç" -> "c")."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_template(template: str) -> str:
    """Fold a hassil template (syntax characters kept): lower case, no accents, no apostrophes."""
    folded = strip_accents(template).lower().translate(_APOSTROPHES)
    return _SPACES.sub(" ", folded).strip()


def fold(text: str) -> str:
    """Fold free text for matching: lower case, no accents, no punctuation, single spaces."""
    folded = strip_accents(text).lower().translate(_APOSTROPHES).replace("_", " ")
    folded = _DECIMAL_COMMA.sub(r"\1.\2", folded)
    folded = _NOT_WORD.sub(" ", folded)
    folded = _LONE_DOT.sub(" ", folded)
    folded = _DIGIT_LETTER.sub(r"\1 \2", folded).replace("°", " ° ")
    return _SPACES.sub(" ", folded).strip()


def words_to_digits(text: str, lang: str, *, threshold: float = 3.0) -> str:
    """Numbers in words -> digits ("dix-neuf degrés" -> "19 degrés"), via text2num.

    Numbers up to `threshold` stay words (so "un peu" stays "un peu").
    """
    try:
        return str(alpha2digit(text, lang, threshold=threshold))
    except Exception:  # text2num on odd input must never break recognition
        _LOGGER.debug("text2num failed on %r", text[:80], exc_info=True)
        return text


def clean(text: str) -> str:
    """Drop control characters and binary junk, keep letters, digits, punctuation, spaces."""
    return "".join(ch if ch.isprintable() else " " for ch in text)


_ZERO = re.compile(r"\bz[eé]ro\b")


SHORTHAND: dict[str, dict[str, str]] = {
    "fr": {"ds": "dans", "pr": "pour", "jusqua": "jusqu a", "jusquau": "jusqu au",
           "qq": "quelques", "qqs": "quelques", "dim": "dimanche", "sam": "samedi",
           "ven": "vendredi", "vend": "vendredi", "lun": "lundi", "we": "week end",
           "tt": "tout", "ttes": "toutes", "tte": "toute", "ts": "tous", "jrentre": "je rentre",
           "jpars": "je pars", "jpart": "je pars", "chui": "je suis", "chuis": "je suis",
           "jsuis": "je suis",
           "jvais": "je vais", "jme": "je me", "jsais": "je sais", "jai": "j ai",
           "jarrive": "j arrive", "jy": "j y", "jpeux": "je peux", "jreviens": "je reviens",
           "cmt": "comment", "kel": "quel", "kelle": "quelle", "keske": "qu est ce que",
           "kesk": "qu est ce que", "kes": "qu est ce que", "slt": "salut", "bjr": "bonjour",
           "bsr": "bonsoir", "lacces": "l acces", "lentree": "l entree", "lheure": "l heure",
           "letat": "l etat", "aprem": "apres midi", "mtn": "maintenant", "bcp": "beaucoup",
           "sdb": "salle de bains", "bne": "bonne", "tjrs": "toujours", "px": "peux",
           "dac": "d accord", "koi": "quoi", "pkoi": "pourquoi",
           # the polite "vous" said to the house: the grammar speaks "tu"
           "allumez": "allume", "rallumez": "rallume", "eteignez": "eteins",
           "mettez": "mets", "remettez": "remets", "reglez": "regle", "passez": "passe",
           "annulez": "annule", "coupez": "coupe", "fermez": "ferme", "ouvrez": "ouvre",
           "baissez": "baisse", "montez": "monte", "activez": "active",
           "desactivez": "desactive", "arretez": "arrete", "dites": "dis", "donnez": "donne",
           "faites": "fais", "forcez": "force", "oubliez": "oublie", "laissez": "laisse",
           "annoncez": "annonce", "prevenez": "previens", "augmentez": "augmente",
           "diminuez": "diminue", "taisez": "tais", "parlez": "parle", "aidez": "aide",
           "pourriez": "pourrais", "pouvez": "peux", "voudriez": "voudrais",
           "vous": "tu", "votre": "ton", "vos": "tes",
           # ... and the subjunctive that follows "que tu"
           "allumes": "allume", "eteignes": "eteins", "mettes": "mets", "regles": "regle",
           "passes": "passe", "forces": "force", "fermes": "ferme", "coupes": "coupe",
           "ouvres": "ouvre", "baisses": "baisse", "montes": "monte", "fasses": "fais",
           "dises": "dis", "donnes": "donne", "annonces": "annonce", "actives": "active",
           "desactives": "desactive", "arretes": "arrete", "annules": "annule",
           "cb": "combien", "cmb": "combien", "auj": "aujourd hui", "dem": "demain",
           "g": "j ai", "cuisines": "cuisine", "chambres": "chambre"},
    "en": {"pls": "please", "plz": "please", "u": "you", "ur": "your", "im": "i m",
           "thx": "thanks", "tmrw": "tomorrow", "tmr": "tomorrow", "2moro": "tomorrow",
           "tonite": "tonight", "til": "until", "till": "until", "b4": "before",
           "gonna": "going to", "wanna": "want to", "lemme": "let me", "dont": "don t",
           "cant": "can t", "youre": "you re", "wont": "won t", "rn": "right now"},
}
"""Texting shorthand -> the words it stands for (folded, whole words only)."""
PHRASES: dict[str, dict[str, str]] = {
    "fr": {"taisez vous": "tais toi", "mettez vous": "mets toi", "c koi": "c est quoi",
           "te mettes": "mets toi", "te mets": "mets toi", "j y go": "j y vais",
           "jy go": "j y vais", "3 4 d heure": "3 quarts d heure",
           # a request put politely is the request ("ça te dérangerait de passer en mode
           # nuit", "il faudrait que tu allumes la veilleuse")
           "ca te derangerait d": "", "ca te derangerait de": "",
           "ca t embeterait d": "", "ca t embeterait de": "", "est ce que ca te derange d": "",
           "est ce que ca te derange de": "", "ca te derange d": "", "ca te derange de": "",
           "il faudrait que tu": "", "il faut que tu": "", "j aimerais bien que tu": "",
           "j aimerais que tu": "", "je voudrais que tu": "", "ce serait bien que tu": "",
           "ce serait sympa que tu": "", "il faudrait": "", "j aimerais bien": "je voudrais",
           # first-person verbs spelt as they sound in a hurried text
           "je part": "je pars", "je sort": "je sors", "je revien": "je reviens",
           "je dor": "je dors", "je vai": "je vais"},
}
"""Shorthand of more than one word, replaced before the words are."""
_C_EST = re.compile(r"\bc (?!est\b)")
_PRIE = re.compile(r"\bje tu prie\b|\bs il tu plait\b")
_HALF = {"fr": re.compile(r"\b(\d+) et demie?\b"), "en": re.compile(r"\b(\d+) and a half\b")}


HOMOPHONES: dict[str, dict[str, str]] = {
    "fr": {"mais": "mets", "met": "mets", "sept": "cette", "camp": "quand", "verre": "vers",
           "etain": "eteins", "echo": "eco", "chute": "chut", "datte": "date",
           "tes": "tais", "laid": "les"},
}
"""Words speech to text writes for the ones said ("mais la veilleuse" for "mets ..."): tried
only as a second reading, when the first is not understood."""


def homophones(folded: str, lang: str) -> str:
    """The folded text with speech-to-text homophones replaced by the words of the house."""
    table = HOMOPHONES.get(lang, {})
    return " ".join(table.get(word, word) for word in folded.split())


def expand_shorthand(folded: str, lang: str) -> str:
    """Texting shorthand spelled out ("jpars ds 2 h" -> "je pars dans 2 h"), "19 et demi" as
    19.5: SMS and speech reach the grammar in the same words."""
    table = SHORTHAND.get(lang, {})
    for phrase, replacement in sorted(PHRASES.get(lang, {}).items(), key=lambda p: -len(p[0])):
        folded = re.sub(rf"\b{phrase}\b", replacement, folded)
    words = [table.get(word, word) for word in folded.split()]
    text = " ".join(words)
    if lang == "fr":
        text = _PRIE.sub("", _C_EST.sub("c est ", text))
        text = " ".join(text.split())
    half = _HALF.get(lang)
    return half.sub(r"\1.5", text) if half is not None else text


_UNIT_HYPHEN = re.compile(r"-(?=(?:minute|hour|second)s?\b)")
"""The hyphen of "a ten-minute timer", which keeps text2num from reading the number."""


def candidates(text: str, lang: str) -> tuple[str, ...]:
    """Folded forms of an utterance to try, numbers-as-digits first, then as written."""
    cleaned = _UNIT_HYPHEN.sub(" ", clean(text).lower())  # "thirty-eight-minute timer"
    with_digits = expand_shorthand(fold(words_to_digits(_ZERO.sub("0", cleaned), lang)), lang)
    as_written = fold(cleaned)
    forms = [with_digits] if with_digits == as_written else [with_digits, as_written]
    heard = homophones(with_digits, lang)
    return (*forms, heard) if heard not in forms else tuple(forms)


def to_number(value: object) -> int | float | None:
    """A slot value as a number: int when integral."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, str):
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    return None


_PIECE = re.compile(r"[^\s'\u2019\u2018`\-\u2010\u2011\u2013]+")


def align(raw: str) -> list[tuple[int, int]] | None:
    """For each word of `fold(raw)`, its (start, end) in `raw`; None if they do not line up.

    Lets a free-text slot found in folded text be given back as the speaker wrote it.
    """
    spans: list[tuple[int, int]] = []
    for piece in _PIECE.finditer(raw):
        spans += [(piece.start(), piece.end())] * len(fold(piece.group()).split())
    return spans if len(spans) == len(fold(raw).split()) else None
