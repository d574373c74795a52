"""Demo mentoring data (placeholder, being written)."""


def seed_mentoring(kernel, log) -> None:
    return None
