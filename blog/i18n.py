"""What is left to translate in each catalogue: printed by `make translations`, asserted by the tests."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).parent / "translations"


def catalogues(directory: Path = TRANSLATIONS) -> dict[str, Path]:
    """Each language's messages.po, by language code."""
    return {po.parent.parent.name: po for po in sorted(directory.glob("*/LC_MESSAGES/messages.po"))}


def untranslated(po: Path) -> list[str]:
    """The msgids of the entries with no translation, or only a fuzzy one (which is never used)."""
    with po.open("rb") as file:
        catalog = read_po(file)
    left = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            left.append(str(message.id[0] if isinstance(message.id, (tuple, list)) else message.id))
    return left


def main(directory: str) -> None:
    for po in catalogues(Path(directory)).values():
        left = untranslated(po)
        if left:
            print(f"{po}: {len(left)} entries to translate (empty msgstr or fuzzy), then run `make translations`:")
            for msgid in left:
                print(f"  {msgid!r}")
        else:
            print(f"{po}: complete.")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(TRANSLATIONS))
