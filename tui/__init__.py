"""mlkb's tui wing."""
