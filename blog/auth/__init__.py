"""Logging authors in and out."""
