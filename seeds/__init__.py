"""Curated recipes and evaluation queries shipped with mlkb (data only; see mlkb.seeds)."""
