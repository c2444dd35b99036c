"""The conformance matrix: cells in worker processes, environments, baseline, verdicts."""
