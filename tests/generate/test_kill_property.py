"""A property test: kill a run on the fake provider with SIGKILL at a random SQL statement (store creation, any
call's transaction, the cache, the final status, the manifest), recover as a user would, and check that the
run holds exactly its planned posts, none twice, and that no process asked the provider for one call twice."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.generate import kill_child
from tests.generate.fake_provider import fake_provider
from tests.generate.test_hardening import recover, run_kill_child

PER_CELL = 2  # 8 calls: about 90 statements from the store's creation to the exports


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kill_at=st.integers(min_value=1, max_value=100))
def test_a_kill_at_any_statement_then_recovery_makes_exactly_the_plan(kill_at: int) -> None:
    with TemporaryDirectory() as tmp, fake_provider() as fake:
        run_dir = Path(tmp) / "run"
        killed = run_kill_child(run_dir, fake.base_url, PER_CELL, kill_at) == -9
        by_child = fake.seeds()
        posts = recover(run_dir, fake.base_url, PER_CELL)
        by_recovery = fake.seeds() - by_child
    planned = kill_child.planned_posts(PER_CELL)
    assert len(posts) == planned, f"kill at statement {kill_at} (killed: {killed})"
    assert posts["post_id"].is_unique and posts["call_id"].is_unique
    assert max(by_child.values(), default=1) == 1 and max(by_recovery.values(), default=1) == 1
