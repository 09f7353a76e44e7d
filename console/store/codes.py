"""Coded columns: stored as their text as always, read back as the vocabulary's enum."""

from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import String
from sqlalchemy.types import TypeDecorator

E = TypeVar("E", bound=StrEnum)


class Code(TypeDecorator[E]):
    """A VARCHAR holding one code of `vocabulary`; the CHECK constraint beside it lists the codes."""

    impl = String
    cache_ok = True

    def __init__(self, vocabulary: type[E], length: int) -> None:
        super().__init__(length)
        self.vocabulary = vocabulary

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        # Text from a bulk insert passes as it is; the CHECK constraint refuses an unknown code.
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Any) -> E | None:
        return None if value is None else self.vocabulary(value)
