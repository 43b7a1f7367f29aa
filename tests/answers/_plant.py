"""Wrong answers written as a correct answer with one pitfall planted, so that the difference is
the pitfall and nothing else (the base answers are in each catalogue's ``BASES`` and must pass)."""


def planted(base: str, *replacements: tuple[str, str]) -> str:
    """``base`` with each ``(old, new)`` replacement applied; every ``old`` must occur in it."""
    source = base
    for old, new in replacements:
        if old not in source:
            raise ValueError(f"replacement target not found: {old!r}")
        source = source.replace(old, new)
    return source
