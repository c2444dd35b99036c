"""The pytest plugin: wiring, fixtures, the conformance suite, declaring your adapter."""
