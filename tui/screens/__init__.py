"""Screens pushed over the search view: detail, browse, help."""
