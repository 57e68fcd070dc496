"""Review: cases for people to decide, decisions, the audit log (SQLite)."""

from .cases import Action, CaseState, CaseType, ReviewError, ReviewStore, StoredCase, case_id_of, priority_of

__all__ = ["Action", "CaseState", "CaseType", "ReviewError", "ReviewStore", "StoredCase", "case_id_of", "priority_of"]
