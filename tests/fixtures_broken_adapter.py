"""An adapter module that is found but cannot be imported (tests/matrix/test_verdict.py)."""

raise RuntimeError("this adapter's dependencies are broken")
