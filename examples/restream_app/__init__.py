"""A FastAPI service that re-streams a Responses stream as its own server-sent events.

``from examples.restream_app.app import create_app`` (from a checkout of harness); harness
tests it as the ``restream-app`` driver (``harness/drivers/restream_app.py``).
"""
