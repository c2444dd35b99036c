"""The Amazon Bedrock Converse wire (``POST /model/{modelId}/converse`` and
``/converse-stream``), whose stream is the binary AWS event stream.

``synthesize`` compiles a scenario into the server's exchanges, ``read`` reads a recorded
reply and request back (its ``decode_stream`` decodes the event-stream frames, with
``eventstream``, the codec), ``normalize`` maps boto3-shaped Converse output onto harness
events; :meth:`BedrockConverseDialect.recognise` knows a recording by its path.
"""

from __future__ import annotations

from harness.dialects import base
from harness.dialects.bedrock_converse import read, synthesize
from harness.dialects.bedrock_converse.normalize import CONVERSE_FINISH, ConverseNormalizer
from harness.dialects.bedrock_converse.synthesize import path_for

__all__ = ["CONVERSE_FINISH", "DIALECT", "BedrockConverseDialect", "path_for"]


class BedrockConverseDialect(synthesize.BedrockConverseDialect):
    """Synthesizes, reads, recognises and normalizes the Converse wire."""

    base_url = "https://bedrock-runtime.us-east-1.amazonaws.com"
    reader = read
    normalizer = ConverseNormalizer
    paths = ("/converse", "/converse-stream")
    markers = (b":event-type\x07\x00\x0cmessageStart",)
    marker_score = base.BY_MARKER + 40
    """An event-stream ``messageStart`` frame header is this wire's alone."""


DIALECT = BedrockConverseDialect()
