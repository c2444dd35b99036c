"""Only what pyproject.toml cannot say: the bundled scenarios ship inside the package.

The repository keeps them in the top-level ``scenarios/`` folder; the wheel carries them as
the data-only package ``harness.bundled`` (``harness/bundled/*.yaml``), so every command and
the pytest plugin find them the same way from any working directory
(``harness.bundled_scenarios``). Everything else is declared in pyproject.toml.
"""

from setuptools import find_packages, setup

EXAMPLES = ["gateway_client", "restream_app"]
"""The reference adapters of ``examples/``: the built-in drivers ``gateway-client`` and
``restream-app`` run them, and ``harness init`` starts a user's suite with the first. They
ship as ``harness.examples.<name>`` (a top-level ``examples`` package would collide with
other distributions)."""

setup(
    packages=[
        *find_packages(include=["harness", "harness.*"]),
        "harness.bundled",
        *(f"harness.examples.{name}" for name in EXAMPLES),
    ],
    package_dir={
        "harness.bundled": "scenarios",
        **{f"harness.examples.{name}": f"examples/{name}" for name in EXAMPLES},
    },
    package_data={"harness.bundled": ["*.yaml"]},
)
