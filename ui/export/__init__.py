"""The referral letter as a PDF (ReportLab; no Qt, so the command line can produce it too)."""

from ui.export.pdf_report import render_referral_letter

__all__ = ["render_referral_letter"]
