"""Generation: Hypothesis strategies for scenarios, their seed corpus, and ``harness fuzz``."""
