"""Utilities: checkpoint download / cache / loading."""
