"""Review: cases for people to decide, decisions, the audit log (SQLite)."""

from .cases import (
    CASE_TYPE_LABELS,
    CITED_POST_SIGNALS,
    Action,
    CaseState,
    CaseType,
    ReviewError,
    ReviewStore,
    StoredCase,
    case_id_of,
    cited_items,
    priority_of,
)

__all__ = ["CASE_TYPE_LABELS", "CITED_POST_SIGNALS", "Action", "CaseState", "CaseType", "ReviewError", "ReviewStore", "StoredCase",
           "case_id_of", "cited_items", "priority_of"]
