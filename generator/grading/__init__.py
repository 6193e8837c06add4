"""Grading: one answer → Verdict with the mistake named; a class's submissions → grades and a summary."""
