"""Bundled files (trials, curated criteria, fonts, schema) and the way to find them."""

from __future__ import annotations

from pathlib import Path

RESOURCE_DIR = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """The path of a bundled file or folder, e.g. ``resource_path("trials")``."""
    return RESOURCE_DIR.joinpath(*parts)
