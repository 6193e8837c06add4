"""Closed-form derivatives in either layout, by reverse accumulation, tidied into textbook form."""
