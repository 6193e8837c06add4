"""Randomized exercise sheets: variation tables, seeded variants, verified keys, sheet, key and manifest."""
