"""Numbers: trees evaluated with numpy, seeded samples, finite differences against a closed form."""
