"""Text typed by people (names, allergies, notes) is shown as written, never read as markup."""

from rich.text import Text


def plain_cells(*values: str) -> tuple[Text, ...]:
    """Table cells that show brackets and the like literally (DataTable would parse markup)."""
    return tuple(Text(value) for value in values)
