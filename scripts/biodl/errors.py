"""The one exception type for problems with user input."""


class InputError(ValueError):
    """Bad user input: the message names the file, the record and what is wrong."""


def where(path: object, record: str | None = None, line: int | None = None) -> str:
    """Format the location prefix of an input error: ``file: record 'id' (line N)``."""
    parts = [str(path)]
    detail = []
    if record is not None:
        detail.append(f"record {record!r}")
    if line is not None:
        detail.append(f"(line {line})" if record is not None else f"line {line}")
    if detail:
        parts.append(" ".join(detail))
    return ": ".join(parts)
