"""One derivation end to end: parse, differentiate, prove, check; canonical forms shared across renamings."""
