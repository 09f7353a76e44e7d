"""Screens that read their record before they can take keys: what is typed meanwhile waits for them."""


class ReadsFirst:
    """Mixed into a screen whose first field is focused only once its record has been read.

    Until `opened()` the application holds the keys typed for it (a nurse types on as soon as the
    screen appears), so they reach that field in order instead of nothing or the field before.
    """

    opening: bool = True

    def opened(self) -> None:
        """The record is shown (or could not be read and says why): keys may come in."""
        self.opening = False
