"""Checks and answers applied to a suggestion, by the rules of its language's room: the name
check and the import a file is missing."""
