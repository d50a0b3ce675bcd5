"""What a run reports while it runs: its status and a Progress snapshot passed to callbacks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

# Final statuses of a run.
COMPLETED = "completed"  # every call done
INCOMPLETE = "incomplete"  # finished with fewer posts than planned (failed calls: `resume` retries them)
BUDGET = "budget"  # stopped before going over the budget
CANCELLED = "cancelled"  # stopped by the cancel event
FAILED = "failed"  # stopped by a fatal backend error
RUNNING = "running"
# Not stored: how a run reads when its store says `running` but no live process holds it (killed, crashed).
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class Progress:
    """A snapshot of a run, passed to `on_progress` at the start, after every call and at the end.

    Attributes:
        run_id: the run.
        status: `running` or one of the final statuses.
        total_calls, done_calls, failed_calls, cached_calls: call counts over the whole run (a resumed
            run counts what earlier sessions did).
        planned_posts: posts asked for; posts: posts kept so far; refusals: calls answered with a refusal.
        input_tokens, output_tokens: provider-reported tokens so far.
        spend_usd: money spent so far (cache hits cost nothing); None when a model has no price.
        budget_usd: the cap, if any.
        elapsed_s: seconds since this session started.
        latest_posts: the last few posts kept (dicts with platform, topic, model, text).
        message: a line for people (the error, or why the run stopped).
    """

    run_id: str
    status: str
    total_calls: int
    done_calls: int
    failed_calls: int
    cached_calls: int
    planned_posts: int
    posts: int
    refusals: int
    input_tokens: int
    output_tokens: int
    spend_usd: float | None
    budget_usd: float | None
    elapsed_s: float
    latest_posts: tuple[dict[str, str], ...] = ()
    message: str = ""

    @property
    def fraction(self) -> float:
        """Share of calls finished (done or failed), 0..1."""
        return (self.done_calls + self.failed_calls) / self.total_calls if self.total_calls else 1.0


ProgressCallback = Callable[[Progress], None]


