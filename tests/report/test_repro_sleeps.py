"""A reproducer skips every wait its library takes between attempts (``Recipe.retry_sleep``
and ``other_sleeps``): llama-index, not streamed, retries with tenacity (``asyncio.sleep``)
around the OpenAI SDK's own retries (``anyio.sleep``) once the SDK gives up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.drivers.base import get_driver
from tests.report.repro_cells import write_claims

PAST_THE_SDK = """\
id: nonstream-429-past-the-sdk
description: >-
  Four 429s asking for 30 s each, past the OpenAI SDK's four attempts under llama-index, then
  the reply, on a call that is not streamed.
request:
  stream: false
  messages:
    - role: user
      content: Say hello in one short sentence.
attempts:
  - &rate_limited
    error: {status: 429, retry_after: 30, retry_after_form: seconds}
  - *rate_limited
  - *rate_limited
  - *rate_limited
  - reply:
      parts:
        - text: Hello! Nice to meet you.
      finish: stop
      usage: {input: 14, output: 7}
expect:
  text: Hello! Nice to meet you.
  finish: stop
  usage: {input: 14, output: 7}
  requests: 5
"""

RUN = """\
import json, runpy
space = runpy.run_path({script!r}, run_name="__main__")
print(json.dumps(space["SLEPT"]))
"""


def test_llama_index_s_own_retry_wait_is_skipped_too(tmp_path: Path) -> None:
    scenario = tmp_path / "nonstream-429-past-the-sdk.yaml"
    scenario.write_text(PAST_THE_SDK)
    done = write_claims(get_driver("llama-index-openai"), [str(scenario)], tmp_path)
    assert not done["skipped"] and len(done["written"]) == 1, done
    script = done["written"][0][0]
    ran = subprocess.run(
        [sys.executable, "-I", "-c", RUN.format(script=script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr  # the reply after the fifth request, as claimed
    assert "requests: 5" in ran.stdout
    # three waits of the SDK (its four attempts), then tenacity's before the fifth request
    assert json.loads(ran.stdout.splitlines()[-1]) == [30.0, 30.0, 30.0, 30.0]
