"""Words as search sees them: split, lower-cased, diacritics removed and stemmed in the site's language.

The same functions build the index and read the reader's query, on SQLite and PostgreSQL alike, so both
databases only ever compare stems: "migrations", "migrating" and "migrated" are all "migrat" in English,
and "perjalanan" and "berjalan" both "jalan" in Indonesian (Snowball's Indonesian stemmer removes the
per-...-an and ber- affixes itself, so no rule of ours is needed). A language Snowball lacks is searched
unstemmed: words still match as written.
"""

import re
import threading
import unicodedata
from functools import lru_cache

import snowballstemmer

# Letters and digits only: the same tokens for FTS5's unicode61 tokenizer and PostgreSQL's parser, and no
# character either could read as syntax.
_TOKEN = re.compile(r"[^\W_]+")
_LETTERS = re.compile(r"[^\W\d_]+")
# ISO 639-1 codes of SITE_LANGUAGE to Snowball's algorithm names.
SNOWBALL_NAMES = {
    "ar": "arabic",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "nl": "dutch",
    "no": "norwegian",
    "nb": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}
# Words of the vocabulary that "Did you mean" offers: letters only, of a length worth correcting.
VOCABULARY_MIN, VOCABULARY_MAX = 3, 40

_stemmers = threading.local()  # a Snowball stemmer keeps state while it works: one per thread


def strip_diacritics(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def algorithm(language: str) -> str | None:
    """Snowball's name for a SITE_LANGUAGE such as "en", "id" or "pt_BR" (None: not stemmed)."""
    return SNOWBALL_NAMES.get(re.split(r"[-_]", (language or "").strip().lower())[0])


@lru_cache(maxsize=20_000)  # a bounded cache: a blog's vocabulary repeats, and stemming costs microseconds
def stem(word: str, language: str) -> str:
    """The stem of one lower-cased word without diacritics; the word itself where no stemmer applies."""
    name = algorithm(language)
    if name is None or len(word) > 60:
        return word
    stemmer = getattr(_stemmers, name, None)
    if stemmer is None:
        stemmer = snowballstemmer.stemmer(name)
        setattr(_stemmers, name, stemmer)
    return stemmer.stemWord(word) or word


def words(value: str) -> list[str]:
    """The words of a text, lower-cased and without diacritics, in order."""
    return _TOKEN.findall(strip_diacritics(value or "").lower())


def stemmed_text(value: str, language: str) -> str:
    """What is indexed for a text: its stems, space-separated, one per word (so phrases keep positions)."""
    return " ".join(stem(word, language) for word in words(value))


def vocabulary_words(value: str) -> set[str]:
    """The words a "Did you mean" may offer from this text (letters only, no numbers)."""
    found = _LETTERS.findall(strip_diacritics(value or "").lower())
    return {word for word in found if VOCABULARY_MIN <= len(word) <= VOCABULARY_MAX}


def lookup_keys(word: str) -> set[str]:
    """A word and every string one deletion away from it: two words that share one are at most an edit or
    a swap apart (the symmetric-delete method), found with an index lookup, whatever the vocabulary's size."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


def edit_distance(a: str, b: str) -> int:
    """Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
