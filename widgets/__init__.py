"""Chairside's Textual screens and widgets: they show and collect, the console/ services decide."""
