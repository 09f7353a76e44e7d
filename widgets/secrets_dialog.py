"""A dialog of secret fields: Enter goes to the next, the last one confirms; a refusal clears them all."""

from textual import on
from textual.widgets import Input

from console.domain.errors import ChairsideError
from widgets.dialog import StoreDialog


class SecretsDialog(StoreDialog[bool]):
    """Closes with True once stored. Subclasses compose their fields and say what `confirm` stores."""

    def on_mount(self) -> None:
        self.set_focus(self.query(Input).first())

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        fields = list(self.query(Input))
        if event.input is not fields[-1]:
            self.set_focus(fields[fields.index(event.input) + 1])
            return
        self.confirm([field.value for field in fields])

    def confirm(self, typed: list[str]) -> None:
        """What the fields hold, in order: refuse (and `start_again`) or `save`."""
        raise NotImplementedError

    def twice_the_same(self, first: str, again: str, what: str) -> bool:
        """A new secret is typed twice; when the two differ, say so and start again."""
        if first == again:
            return True
        self.refuse(f"{what}: the two differ; type them again.")
        self.start_again()
        return False

    def after_refusal(self, refused: ChairsideError) -> None:
        self.start_again()

    def start_again(self) -> None:
        """Secrets are never left in a field after a refusal."""
        for field in self.query(Input):
            field.value = ""
        self.set_focus(self.query(Input).first())
