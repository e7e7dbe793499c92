"""mlkb's terminal UI: search as you type, read recipes, jump to similar problems.

Run it with ``mlkb tui``; embed it with ``MlkbApp(open_knowledge_base)``.
"""

from __future__ import annotations

from tui._kb import KnowledgeBaseLike, open_knowledge_base
from tui.app import MlkbApp

__all__ = ["KnowledgeBaseLike", "MlkbApp", "open_knowledge_base"]
