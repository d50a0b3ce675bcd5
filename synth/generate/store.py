"""The run store: one embedded SQLite database per run directory.

Why SQLite (in WAL mode) and not DuckDB or files: it ships with Python (no dependency), it gives
transactional single-row inserts, so each call's result and its posts are committed together the moment
they arrive, and a committed transaction survives the process being killed at any instant (`kill -9`):
WAL with `synchronous=NORMAL` loses nothing an application crash can touch (only a power cut could drop
the last transactions). Readers (the page, `synth resume`) see a consistent view while a run writes.
DuckDB is built for analytical scans, not for many tiny durable writes.

The response cache (synth.generate.cache) is a SQLite file of the same kind, shared by every run.

Layout of a run directory: `run.sqlite` (this store), then, after export, `posts.csv`, `posts.parquet`
and `manifest.json`. Keys never enter the store: configs are saved through `GenerationConfig.to_dict`.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synth.backends.base import Completion, GenerationOptions, Message, Request
from synth.errors import InputError

STORE_FILE = "run.sqlite"

PENDING, DONE, FAILED = "pending", "done", "failed"
# The columns of a call's token and cost record (`RunStore.cost_log`, the bundle's costs.csv).
COST_COLUMNS: tuple[str, ...] = (
    "run_id", "call_id", "model_spec", "platform", "topic", "status", "attempts", "n_kept", "input_tokens",
    "output_tokens", "cost_usd", "latency_s", "cached", "model_version",
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    config_json TEXT NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    active_s REAL NOT NULL DEFAULT 0,
    backends_json TEXT
);
CREATE TABLE IF NOT EXISTS calls (
    call_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    cell_key TEXT NOT NULL,
    model_spec TEXT NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    topic_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    platform TEXT NOT NULL,
    strategy TEXT NOT NULL,
    call_index INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    prompt_id TEXT NOT NULL,
    request_json TEXT NOT NULL,
    example_ids_json TEXT NOT NULL,
    n_posts INTEGER NOT NULL,
    est_input_tokens INTEGER NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    raw_text TEXT,
    refusal INTEGER,
    n_kept INTEGER,
    input_tokens INTEGER,
    output_tokens INTEGER,
    cost_usd REAL,
    latency_s REAL,
    cached INTEGER,
    model_version TEXT,
    finish_reason TEXT,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS calls_status ON calls (run_id, status);
CREATE TABLE IF NOT EXISTS posts (
    post_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL,
    call_id TEXT NOT NULL REFERENCES calls (call_id),
    position INTEGER NOT NULL,
    text TEXT NOT NULL,
    created_at REAL NOT NULL
);
-- The server that answered each call of a fleet (synth.backends.fleet); a table of its own, so stores
-- written before fleets existed open unchanged.
CREATE TABLE IF NOT EXISTS call_endpoints (
    call_id TEXT PRIMARY KEY REFERENCES calls (call_id),
    endpoint TEXT NOT NULL
);
"""

# A call's cost plus one more answer's (bound twice): unknown (NULL) stays unknown for an unpriced model.
_ADD_COST = "CASE WHEN ? IS NULL THEN cost_usd ELSE COALESCE(cost_usd, 0) + ? END"


def connect(path: Path) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous=NORMAL (see the module docstring)."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    connection.row_factory = sqlite3.Row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    return connection


def request_to_json(request: Request) -> str:
    """A canonical JSON form of a request: the same request always gives the same string."""
    options = request.options
    return json.dumps(
        {
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "prompt": request.prompt,
            "options": {
                "max_tokens": options.max_tokens,
                "temperature": options.temperature,
                "top_p": options.top_p,
                "seed": options.seed,
                "stop": list(options.stop),
            },
        },
        sort_keys=True,
        ensure_ascii=False,
    )


def request_from_json(text: str) -> Request:
    data = json.loads(text)
    options = dict(data["options"])
    options["stop"] = tuple(options["stop"])
    return Request(
        messages=tuple(Message(m["role"], m["content"]) for m in data["messages"]),
        prompt=data["prompt"],
        options=GenerationOptions(**options),
    )


@dataclass(frozen=True)
class CallRecord:
    """One planned call as saved before it runs: enough to run it again in another process."""

    call_id: str
    cell_key: str
    model_spec: str
    backend: str
    model: str
    topic_id: str
    topic: str
    platform: str
    strategy: str
    call_index: int
    seed: int
    prompt_id: str
    request: Request
    example_ids: tuple[str, ...]
    n_posts: int
    est_input_tokens: int


@dataclass(frozen=True)
class CallOutcome:
    """What a finished call produced; saved together with its posts in one transaction."""

    completion: Completion
    posts: tuple[str, ...]
    refusal: bool
    cost_usd: float | None
    latency_s: float
    cached: bool
    started_at: float


class RunStore:
    """The SQLite store of one run directory. Open with `RunStore.create` or `RunStore.open`."""

    def __init__(self, run_dir: Path, connection: sqlite3.Connection, run_id: str) -> None:
        self.run_dir = run_dir
        self.run_id = run_id
        self._db = connection

    @classmethod
    def create(
        cls, run_dir: str | Path, run_id: str, config: dict[str, Any], calls: Iterable[CallRecord] = ()
    ) -> RunStore:
        """Make a new store in `run_dir` (created if needed) holding the run and its planned `calls`, saved in one
        transaction: a process killed meanwhile leaves either the whole plan or no plan, never a run without
        its calls. Refuses a directory holding another run; takes over a store that holds no planned call
        (what a kill during an older, two-step creation left)."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        path = run_dir / STORE_FILE
        if path.exists() and _holds_calls(path):
            raise InputError(
                f"{run_dir} already holds a run; continue it with `python -m synth resume {run_dir}` "
                "or choose a new output directory"
            )
        connection = connect(path)
        connection.executescript(_SCHEMA)
        store = cls(run_dir, connection, run_id)
        now = time.time()
        with store._transaction() as db:
            for table in ("posts", "calls", "runs"):  # leftovers of an interrupted creation
                db.execute(f"DELETE FROM {table}")
            db.execute(
                "INSERT INTO runs (run_id, config_json, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (run_id, json.dumps(config, sort_keys=True), "planned", now, now),
            )
            store._insert_calls(db, calls)
        return store

    @classmethod
    def open(cls, run_dir: str | Path) -> RunStore:
        """Open the store of an existing run directory."""
        run_dir = Path(run_dir)
        path = run_dir / STORE_FILE
        if not path.is_file():
            raise InputError(f"{run_dir} holds no run ({STORE_FILE} is missing); give the run's output directory")
        connection = connect(path)
        connection.executescript(_SCHEMA)
        row = connection.execute("SELECT run_id FROM runs").fetchone()
        if row is None:
            connection.close()
            raise InputError(
                f"{path} holds no run record: the run was stopped while it was being created, before its plan "
                f"was saved. Start it again with `python -m synth generate ... --out {run_dir}`"
            )
        return cls(run_dir, connection, row["run_id"])

    def close(self) -> None:
        self._db.close()

    @property
    def db(self) -> sqlite3.Connection:
        """The connection, for tables another module keeps in the run's store (synth.generate.batch)."""
        return self._db

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # Run-level records

    def config(self) -> dict[str, Any]:
        row = self._db.execute("SELECT config_json FROM runs WHERE run_id = ?", (self.run_id,)).fetchone()
        return dict(json.loads(row["config_json"]))

    def run_info(self) -> dict[str, Any]:
        row = self._db.execute("SELECT * FROM runs WHERE run_id = ?", (self.run_id,)).fetchone()
        info = dict(row)
        info["backends"] = json.loads(info.pop("backends_json") or "{}")
        info.pop("config_json")
        return info

    def set_status(self, status: str, error: str | None = None) -> None:
        self._db.execute(
            "UPDATE runs SET status = ?, error = ?, updated_at = ? WHERE run_id = ?",
            (status, error, time.time(), self.run_id),
        )

    def add_active_time(self, seconds: float) -> None:
        """Add the length of one engine session (a run may take several: crash, resume...)."""
        self._db.execute(
            "UPDATE runs SET active_s = active_s + ? WHERE run_id = ?", (max(0.0, seconds), self.run_id)
        )

    def set_backends(self, descriptions: dict[str, Any]) -> None:
        """Save what each backend says about itself (model file, version): no secrets."""
        self._db.execute(
            "UPDATE runs SET backends_json = ? WHERE run_id = ?",
            (json.dumps(descriptions, sort_keys=True, default=str), self.run_id),
        )

    # Calls

    def add_calls(self, calls: Iterable[CallRecord]) -> None:
        """Save the planned calls (with their prompts) in one transaction, before any of them runs."""
        with self._transaction() as db:
            self._insert_calls(db, calls)

    def _insert_calls(self, db: sqlite3.Connection, calls: Iterable[CallRecord]) -> None:
        rows = [
            (
                c.call_id, self.run_id, c.cell_key, c.model_spec, c.backend, c.model, c.topic_id, c.topic,
                c.platform, c.strategy, c.call_index, c.seed, c.prompt_id, request_to_json(c.request),
                json.dumps(list(c.example_ids)), c.n_posts, c.est_input_tokens,
            )
            for c in calls
        ]
        db.executemany(
            "INSERT INTO calls (call_id, run_id, cell_key, model_spec, backend, model, topic_id, topic, "
            "platform, strategy, call_index, seed, prompt_id, request_json, example_ids_json, n_posts, "
            "est_input_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def calls(self, *, status: str | None = None) -> list[CallRecord]:
        """Planned calls, all or those with `status`, in plan order (call index, then cell)."""
        query = "SELECT * FROM calls WHERE run_id = ?"
        params: tuple[Any, ...] = (self.run_id,)
        if status is not None:
            query += " AND status = ?"
            params += (status,)
        rows = self._db.execute(query + " ORDER BY call_index, rowid", params).fetchall()
        return [_call_from_row(row) for row in rows]

    def unfinished_calls(self) -> list[CallRecord]:
        """Calls not yet done (pending or failed), in the plan's order: what `resume` runs. The plan's order keeps
        calls that share a prompt back to back (synth.generate.plan), which a local model's prompt reuse needs."""
        rows = self._db.execute(
            "SELECT * FROM calls WHERE run_id = ? AND status != ? ORDER BY rowid",
            (self.run_id, DONE),
        ).fetchall()
        return [_call_from_row(row) for row in rows]

    def record_success(self, call: CallRecord, outcome: CallOutcome) -> None:
        """Mark `call` done and insert its posts, atomically: after a crash, a call is either done with
        all its posts or still to do with none."""
        now = time.time()
        completion = outcome.completion
        with self._transaction() as db:
            updated = db.execute(
                "UPDATE calls SET status = ?, attempts = attempts + 1, error = NULL, raw_text = ?, "
                "refusal = MAX(COALESCE(refusal, 0), ?), n_kept = ?, input_tokens = COALESCE(input_tokens, 0) + ?, "
                f"output_tokens = COALESCE(output_tokens, 0) + ?, cost_usd = {_ADD_COST}, latency_s = ?, "
                "cached = ?, model_version = ?, finish_reason = ?, started_at = ?, finished_at = ? "
                "WHERE call_id = ? AND status != ?",
                (
                    DONE, completion.text, int(outcome.refusal), len(outcome.posts), completion.input_tokens,
                    completion.output_tokens, outcome.cost_usd, outcome.cost_usd, outcome.latency_s,
                    int(outcome.cached),
                    model_version(completion), completion.finish_reason, outcome.started_at, now, call.call_id, DONE,
                ),
            ).rowcount
            if updated and completion.endpoint is not None and not outcome.cached:
                db.execute(
                    "INSERT OR REPLACE INTO call_endpoints (call_id, endpoint) VALUES (?, ?)",
                    (call.call_id, completion.endpoint),
                )
            if updated:
                db.executemany(
                    "INSERT INTO posts (post_id, run_id, call_id, position, text, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (post_id(call.call_id, position), self.run_id, call.call_id, position, text, now)
                        for position, text in enumerate(outcome.posts)
                    ],
                )

    def record_discarded_answer(
        self, call: CallRecord, completion: Completion, cost_usd: float | None, *, refusal: bool
    ) -> None:
        """Count an answer that held no usable post: its tokens and cost are added to the call's (they were spent),
        its text is kept for inspection, and the call stays to do."""
        self._db.execute(
            "UPDATE calls SET attempts = attempts + 1, raw_text = ?, refusal = ?, n_kept = 0, "
            "input_tokens = COALESCE(input_tokens, 0) + ?, output_tokens = COALESCE(output_tokens, 0) + ?, "
            f"cost_usd = {_ADD_COST}, model_version = ?, finish_reason = ? WHERE call_id = ? AND status != ?",
            (
                completion.text, int(refusal), completion.input_tokens, completion.output_tokens, cost_usd, cost_usd,
                model_version(completion), completion.finish_reason, call.call_id, DONE,
            ),
        )

    def endpoints(self) -> dict[str, str]:
        """call_id -> the server that answered it, for calls a fleet spread over several servers."""
        rows = self._db.execute(
            "SELECT e.call_id, e.endpoint FROM call_endpoints e JOIN calls c USING (call_id) WHERE c.run_id = ?",
            (self.run_id,),
        ).fetchall()
        return {row["call_id"]: row["endpoint"] for row in rows}

    def record_failure(self, call: CallRecord, error: str, latency_s: float) -> None:
        self._db.execute(
            "UPDATE calls SET status = ?, attempts = attempts + 1, error = ?, latency_s = ?, finished_at = ? "
            "WHERE call_id = ? AND status != ?",
            (FAILED, error, latency_s, time.time(), call.call_id, DONE),
        )

    # Reading results

    def totals(self) -> dict[str, Any]:
        """Counts, tokens and spend so far."""
        row = self._db.execute(
            "SELECT COUNT(*) AS calls, "
            "SUM(status = 'done') AS done, SUM(status = 'failed') AS failed, SUM(status = 'pending') AS pending, "
            "SUM(n_posts) AS planned_posts, COALESCE(SUM(n_kept), 0) AS posts, "
            "COALESCE(SUM(refusal), 0) AS refusals, COALESCE(SUM(cached), 0) AS cached, "
            "COALESCE(SUM(input_tokens), 0) AS input_tokens, COALESCE(SUM(output_tokens), 0) AS output_tokens, "
            "COALESCE(SUM(cost_usd), 0.0) AS cost_usd, SUM(status = 'done' AND cost_usd IS NULL) AS unpriced "
            "FROM calls WHERE run_id = ?",
            (self.run_id,),
        ).fetchone()
        return {key: (value or 0) for key, value in dict(row).items()}

    def post_rows(self) -> list[dict[str, Any]]:
        """Every kept post joined with its call's provenance, in the order they were written."""
        rows = self._db.execute(
            "SELECT p.post_id, p.text, p.position, p.created_at, c.call_id, c.platform, c.topic, c.topic_id, "
            "c.model_spec, c.backend, c.model, c.model_version, c.strategy, c.prompt_id, c.seed, "
            "c.input_tokens, c.output_tokens, c.latency_s, c.cost_usd, c.cached, c.started_at, "
            "c.finished_at FROM posts p JOIN calls c ON c.call_id = p.call_id WHERE p.run_id = ? "
            "ORDER BY p.rowid",
            (self.run_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def cost_log(self) -> list[dict[str, Any]]:
        """The token and cost record of every call (COST_COLUMNS), failed ones included, in plan order."""
        rows = self._db.execute(
            f"SELECT {', '.join(COST_COLUMNS)} FROM calls WHERE run_id = ? ORDER BY call_index, rowid",
            (self.run_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    def model_versions(self) -> dict[str, list[str]]:
        rows = self._db.execute(
            "SELECT DISTINCT model_spec, model_version FROM calls WHERE run_id = ? AND model_version IS NOT NULL",
            (self.run_id,),
        ).fetchall()
        versions: dict[str, list[str]] = {}
        for row in rows:
            versions.setdefault(row["model_spec"], []).append(row["model_version"])
        return versions

    def errors(self, limit: int = 20) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT call_id, model_spec, error FROM calls WHERE run_id = ? AND status = 'failed' LIMIT ?",
            (self.run_id, limit),
        ).fetchall()
        return [dict(row) for row in rows]


def _holds_calls(path: Path) -> bool:
    """Whether the store at `path` holds planned calls (a run worth keeping), read without changing it."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        return db.execute("SELECT 1 FROM calls LIMIT 1").fetchone() is not None
    except sqlite3.OperationalError:  # no calls table: created by a process killed at once
        return False
    except sqlite3.DatabaseError:  # not a SQLite file: not ours to replace
        return True
    finally:
        db.close()


def model_version(completion: Completion) -> str:
    """The exact model that answered when the provider says, else the model name."""
    return completion.model_version or completion.model


def post_id(call_id: str, position: int) -> str:
    """A post's id: its call's id and its place in the call's answer (stable across resumes)."""
    return f"syn-{call_id}-{position}"


def _call_from_row(row: sqlite3.Row) -> CallRecord:
    return CallRecord(
        call_id=row["call_id"], cell_key=row["cell_key"], model_spec=row["model_spec"], backend=row["backend"],
        model=row["model"], topic_id=row["topic_id"], topic=row["topic"], platform=row["platform"],
        strategy=row["strategy"], call_index=row["call_index"], seed=row["seed"], prompt_id=row["prompt_id"],
        request=request_from_json(row["request_json"]),
        example_ids=tuple(json.loads(row["example_ids_json"])), n_posts=row["n_posts"],
        est_input_tokens=row["est_input_tokens"],
    )
