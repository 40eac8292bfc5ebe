"""Exceptions the engine raises for bad criteria files and bad patient profiles."""

from __future__ import annotations


class CriteriaError(ValueError):
    """A criteria file the engine cannot use; the message names trial, criterion and JSON path."""

    def __init__(self, trial_id: str, criterion_id: str | None, path: str, problem: str) -> None:
        self.trial_id = trial_id
        self.criterion_id = criterion_id
        self.path = path
        self.problem = problem
        where = f"criterion {criterion_id}, " if criterion_id else ""
        super().__init__(f"{trial_id}: {where}{path}: {problem}")


class ProfileError(ValueError):
    """A patient profile the engine cannot use; the message names the field path and the problem."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}" if path else problem)
