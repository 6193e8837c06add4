"""Exports to where instructors already are: Moodle XML, STACK, QTI 1.2 for Canvas, PrairieLearn."""
