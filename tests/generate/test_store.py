from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from synth.backends.base import Completion, GenerationOptions, Message, Request
from synth.errors import InputError
from synth.generate.cache import ResponseCache
from synth.generate.store import COST_COLUMNS, CallOutcome, CallRecord, RunStore, request_from_json, request_to_json


def make_call(call_id: str = "c1") -> CallRecord:
    request = Request(messages=(Message("user", "write a post"),), options=GenerationOptions(seed=7, stop=("\n",)))
    return CallRecord(
        call_id=call_id, cell_key="double:echo|t1|twitter", model_spec="double:echo", backend="double", model="echo",
        topic_id="t1", topic="coffee", platform="twitter", strategy="topic", call_index=0, seed=7, prompt_id="p1",
        request=request, example_ids=("r1",), n_posts=2, est_input_tokens=3,
    )


def outcome(posts: tuple[str, ...]) -> CallOutcome:
    return CallOutcome(Completion("raw", 10, 5, "echo", "stop", "echo-2024"), posts, False, 0.5, 0.1, False, 1.0)


def test_a_call_is_recorded_once_with_its_posts(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, "run1", {"per_cell": 2})
    call = make_call()
    store.add_calls([call])
    store.record_success(call, outcome(("a", "b")))
    store.record_success(call, outcome(("a", "b")))  # a repeat (e.g. a race on resume) adds nothing
    store.record_failure(call, "late failure", 0.1)  # nor can a late failure undo a done call
    rows = store.post_rows()
    assert [(row["post_id"], row["text"]) for row in rows] == [("syn-c1-0", "a"), ("syn-c1-1", "b")]
    assert rows[0]["model_version"] == "echo-2024" and rows[0]["seed"] == 7
    totals = store.totals()
    assert (totals["done"], totals["posts"], totals["cost_usd"], totals["pending"]) == (1, 2, 0.5, 0)
    store.close()


def test_failed_calls_stay_unfinished(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, "run1", {})
    calls = [make_call("c1"), make_call("c2")]
    store.add_calls(calls)
    store.record_failure(calls[0], "503", 0.2)
    assert [c.call_id for c in store.unfinished_calls()] == ["c1", "c2"]
    assert store.errors() == [{"call_id": "c1", "model_spec": "double:echo", "error": "503"}]
    store.close()


def test_store_uses_wal(tmp_path: Path) -> None:
    RunStore.create(tmp_path, "run1", {}).close()
    with sqlite3.connect(tmp_path / "run.sqlite") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_open_a_folder_without_a_run(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no run"):
        RunStore.open(tmp_path)


def test_requests_round_trip_and_cache_key_depends_on_seed(tmp_path: Path) -> None:
    request = make_call().request
    assert request_from_json(request_to_json(request)) == request
    other_seed = Request(messages=request.messages, options=GenerationOptions(seed=8, stop=("\n",)))
    assert ResponseCache.key("double", "echo", request) != ResponseCache.key("double", "echo", other_seed)
    assert ResponseCache.key("double", "echo", request) != ResponseCache.key("double", "other", request)
    cache = ResponseCache(tmp_path / "cache.sqlite")
    key = ResponseCache.key("double", "echo", request)
    assert cache.get(key) is None
    cache.put(key, Completion("hi", 1, 2, "echo", "stop", "v1"))
    assert cache.get(key) == Completion("hi", 1, 2, "echo", "stop", "v1")
    cache.close()


def test_cost_log_has_a_row_per_call_failed_ones_included(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, "run1", {})
    calls = [make_call("c1"), make_call("c2")]
    store.add_calls(calls)
    store.record_success(calls[0], outcome(("a",)))
    store.record_failure(calls[1], "503", 0.2)
    log = store.cost_log()
    store.close()
    assert [list(row) for row in log] == [list(COST_COLUMNS)] * 2
    assert [(row["call_id"], row["status"], row["cost_usd"]) for row in log] == [("c1", "done", 0.5),
                                                                                  ("c2", "failed", None)]
    assert log[0]["input_tokens"] == 10 and log[0]["model_version"] == "echo-2024"


def test_create_saves_the_run_with_its_calls_and_refuses_a_planned_folder(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, "run1", {}, [make_call("c1"), make_call("c2")])
    assert [c.call_id for c in store.unfinished_calls()] == ["c1", "c2"]
    store.close()
    with pytest.raises(InputError, match="already holds a run"):
        RunStore.create(tmp_path, "run2", {})


def test_create_takes_over_a_store_without_planned_calls(tmp_path: Path) -> None:
    RunStore.create(tmp_path, "left-behind", {}).close()  # a run record without calls: an interrupted creation
    store = RunStore.create(tmp_path, "run2", {}, [make_call("c1")])
    assert store.run_id == "run2" and len(store.calls()) == 1
    store.close()
    assert RunStore.open(tmp_path).run_id == "run2"


def test_cache_keys_keep_servers_apart_and_local_keys_unchanged() -> None:
    request = make_call("c1").request
    plain = ResponseCache.key("double", "echo", request)
    assert ResponseCache.key("double", "echo", request, "") == plain
    assert ResponseCache.key("openai", "m", request, "http://a/v1") != ResponseCache.key("openai", "m", request, "http://b/v1")
