"""mlkb's api wing."""
