"""The language's nouns: frozen expression nodes, their smart constructors, text form and scope."""
