"""Screens that are not ready for keys for a while: what is typed meanwhile waits for them."""


class ReadsFirst:
    """Mixed into a screen whose next field is known only once a read or a save has come back.

    While `opening` the application holds the keys typed for it (a nurse types on as soon as the
    screen appears, or as soon as she confirms a step), so they reach the field that opens, in
    order, instead of nothing or the field the focus is leaving.
    """

    _first_read_done: bool = False
    _moves_pending: int = 0

    @property
    def opening(self) -> bool:
        return not self._first_read_done or self._moves_pending > 0

    def opened(self) -> None:
        """The record is shown (or could not be read and says why): keys may come in."""
        self._first_read_done = True
        _wake_keys(self)

    def moving(self) -> None:
        """An entry whose outcome decides where the focus goes is on its way (a step saved, say)."""
        self._moves_pending += 1

    def moved(self) -> None:
        """That entry's outcome is on screen, the focus where it goes (or a refusal under a field)."""
        self._moves_pending = max(0, self._moves_pending - 1)
        _wake_keys(self)


def _wake_keys(screen: object) -> None:
    """The application's held keys may go on now (see widgets.key_queue)."""
    keys = getattr(getattr(screen, "app", None), "keys", None)
    if keys is not None:
        keys.wake()
