"""Test helpers that are not tests: the openpyxl-backed xlwings engine."""
