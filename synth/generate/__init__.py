"""The generation engine: a plan of cells (topic x platform x model, n posts each) -> calls -> posts.

Typical use (the Generate page and `python -m synth generate` do this):

    config = GenerationConfig(models=(ModelConfig("local:gemma3-270m"),), topics=topics,
                              platforms=("twitter", "reddit"), per_cell=3, budget_usd=None)
    plan = plan_run(config, real_posts)          # renders prompts, no model called
    plan.estimate.cost_usd, plan.estimate.input_tokens   # show before starting
    result = run_generation(plan, "runs/my-run", on_progress=callback, cancel=threading.Event())
    result.posts                                  # canonical schema, source='synthetic', provenance
    resume_run("runs/my-run")                     # after a crash, cancel, budget stop or failed calls

Modules: `config` (what to run), `plan` (calls, ids, seeds, estimate), `engine` (async execution,
concurrency, budget), `limits` (rate limits), `cache` (response cache), `progress` (statuses and
snapshots), `lock` (one process per run), `runs` (sync entry points, exports, manifest, the runs on disk).
"""

from __future__ import annotations

from synth.generate.cache import default_cache_path
from synth.generate.config import GenerationConfig, ModelConfig
from synth.generate.engine import execute
from synth.generate.plan import Estimate, Plan, plan_run
from synth.generate.progress import (
    BUDGET,
    CANCELLED,
    COMPLETED,
    FAILED,
    INCOMPLETE,
    INTERRUPTED,
    RUNNING,
    Progress,
    ProgressCallback,
)
from synth.generate.runs import (
    RunResult,
    export_run,
    list_runs,
    load_run_posts,
    manifest,
    resume_run,
    resume_run_async,
    run_generation,
    run_generation_async,
    run_models,
)

__all__ = [
    "BUDGET", "CANCELLED", "COMPLETED", "FAILED", "INCOMPLETE", "INTERRUPTED", "RUNNING",
    "Estimate", "GenerationConfig", "ModelConfig", "Plan", "Progress", "ProgressCallback", "RunResult",
    "default_cache_path", "execute", "export_run", "list_runs", "load_run_posts", "manifest", "plan_run",
    "resume_run", "resume_run_async", "run_generation", "run_generation_async", "run_models",
]
