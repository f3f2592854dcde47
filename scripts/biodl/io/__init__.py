"""Readers and writers for every input and contract file."""
