"""Path converters the project's URLs share."""

# The largest value a bigint primary key holds (BigAutoField).
MAX_BIGINT = 2**63 - 1


class IdConverter:
    """`<id:pk>`: a row's primary key, ASCII digits up to MAX_BIGINT. A longer number
    is no row: the URL does not match (a 404), so it never reaches the database, whose
    driver may not even take it (SQLite raised OverflowError: a 500)."""

    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_BIGINT:
            raise ValueError("not a bigint")  # Django: this pattern does not match
        return number

    def to_url(self, value: int) -> str:
        return str(value)
