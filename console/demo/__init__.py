"""The demo clinic: a realistic, deterministic history and today's board."""
