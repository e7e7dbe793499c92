"""The TUI's widgets, one per module; each keeps its CSS close in ``DEFAULT_CSS``."""
