"""Only what pyproject.toml cannot say: the bundled scenarios ship inside the package.

The repository keeps them in the top-level ``scenarios/`` folder; the wheel carries them as
the data-only package ``harness.bundled`` (``harness/bundled/*.yaml``), so every command and
the pytest plugin find them the same way from any working directory
(``harness.bundled_scenarios``). Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["harness", "harness.*"]), "harness.bundled"],
    package_dir={"harness.bundled": "scenarios"},
    package_data={"harness.bundled": ["*.yaml"]},
)
