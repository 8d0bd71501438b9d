"""The OpenAPI document is the contract (issue 9): schemathesis finds no server error, no status and no content
type that the document does not list, calling every operation of the platform as ``make run`` starts it, as a
visitor and as a centre's staff. ``make fuzz`` runs the same for longer, as more roles."""

from __future__ import annotations

from pathlib import Path

from tests.contract_fuzz import fuzz_platform

# What the suite can afford (make test stays fast); deterministic generation makes it the same run each time.
SECONDS = 50
MAX_EXAMPLES = 10  # cases per operation and round: every operation is fuzzed before the time ends


def test_every_answer_of_every_operation_is_in_the_openapi_contract(tmp_path: Path) -> None:
    runs = fuzz_platform(tmp_path, seconds=SECONDS, roles=(None, "staff"), max_examples=MAX_EXAMPLES)
    for run in runs:
        assert "Tested:" in run.output, run.output[-3000:]
        assert run.returncode == 0, f"schemathesis as {run.role} found:\n{run.failures or run.output[-6000:]}"
