"""SVG snapshots of the main screens at 80x24 and 160x50 (fixed clock, seeded demo clinic)."""

import pytest
from textual.widgets import Input

from .test_app import board_loaded, sign_in

SIZES = [(80, 24), (160, 50)]


async def _steady(pilot) -> None:
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
def test_login_screen(snap_compare, demo_app, size):
    assert snap_compare(demo_app, terminal_size=size, run_before=_steady)


@pytest.mark.parametrize("size", SIZES)
def test_today_board(snap_compare, demo_app, size):
    async def signed_in(pilot):
        await sign_in(pilot)
        await board_loaded(pilot)
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=size, run_before=signed_in)


def test_login_refusal(snap_compare, demo_app):
    async def refused(pilot):
        await sign_in(pilot, password="wrong password")
        await _steady(pilot)

    assert snap_compare(demo_app, terminal_size=(80, 24), run_before=refused)
