"""Exceptions a user sees as one line: bad input, and training that diverged."""


class UserError(Exception):
    """A problem the user can fix; printed as one line, never as a traceback."""


class InputError(UserError, ValueError):
    """Bad user input: the message names the file, the record and what is wrong."""


class TrainingDivergedError(UserError, RuntimeError):
    """The training loss became NaN or infinite."""


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
