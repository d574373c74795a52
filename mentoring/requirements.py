"""Pathway requirement kinds from mentoring (placeholder, being written)."""


def register_kinds() -> None:
    return None
