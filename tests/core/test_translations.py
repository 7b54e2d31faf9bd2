"""Translation catalogues of all apps agree with each other.

Django merges every app's catalogue into one; for a msgid translated differently in two apps the
first app in INSTALLED_APPS silently wins everywhere, so a conflict is a wrong word somewhere.
Strings that need different words in different places must use a context (pgettext).
"""

from collections import defaultdict
from pathlib import Path

from babel.messages.pofile import read_po
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _catalogues(language: str) -> list[Path]:
    return sorted(ROOT.glob(f"*/locale/{language}/LC_MESSAGES/django.po")) + sorted(
        ROOT.glob(f"locale/{language}/LC_MESSAGES/django.po")
    )


def test_every_app_catalogue_parses_and_has_no_empty_translation():
    paths = _catalogues("id")
    assert paths, "no Indonesian catalogues found"
    for path in paths:
        with path.open("rb") as f:
            catalogue = read_po(f)
        empty = [m.id for m in catalogue if m.id and not m.fuzzy and not (m.string if isinstance(m.string, str)
                                                                         else all(m.string))]
        assert not empty, f"{path.relative_to(ROOT)} has untranslated strings: {empty[:10]}"


def test_the_same_msgid_has_the_same_translation_in_every_app():
    seen: dict[tuple, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in _catalogues("id"):
        with path.open("rb") as f:
            for message in read_po(f):
                if not message.id or message.fuzzy:
                    continue
                key = (message.context, message.id if isinstance(message.id, str) else message.id[0])
                value = message.string if isinstance(message.string, str) else message.string[0]
                seen[key][value].add(str(path.relative_to(ROOT).parent.parent.parent))
    conflicts = {key: dict(values) for key, values in seen.items() if len(values) > 1}

    assert not conflicts, "msgids translated differently across apps:\n" + "\n".join(
        f"  {key[1]!r}: " + "; ".join(f"{word!r} in {sorted(apps)}" for word, apps in values.items())
        for key, values in sorted(conflicts.items(), key=lambda kv: str(kv[0]))
    )
