"""Vocabulary every stage shares: events, findings, exceptions, names, JSON Schemas."""
