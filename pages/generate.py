"""Generate page: choose topics, platforms, models and a prompt strategy; preview prompts and cost; run."""

import streamlit as st

from synth.backends.base import GenerationOptions
from synth.errors import SynthError
from synth.generate import GenerationConfig, ModelConfig, Plan, list_runs, load_run_posts, plan_run, run_models
from synth.generate.config import base_url_settings
from synth.paths import runs_root
from synth.platforms import PLATFORMS, get_platform
from synth.prompts.render import AUTO_MAX_TOKENS, STRATEGIES, STRATEGY_HELP
from ui import generate as gen
from ui import state
from ui.jobs import settle

st.title("Generate synthetic posts")
real = state.get_real_posts()
gaps = state.get_targeted_plan()
use_gaps = gaps is not None and real is not None and st.toggle(
    f"Fill the {len(gaps.topics)} coverage gaps planned on the Embeddings page", True, key="generate_use_gaps"
)
topics, labelled, origin = gen.topics_to_offer(real, gaps if use_gaps else None) if real is not None else ([], None, "")
shown_keys: set[str] = set()

if real is None:
    st.info("Load real posts on the **Upload posts** page first: prompts take their style and examples from them.")
elif not topics:
    st.info("No topics yet: find them on the **Topics** page (or load posts with a topic column).")
else:
    st.caption(f"Topics from {origin}. Every topic x platform x model cell gets the posts asked for.")
    in_data = sorted(set(real["platform"]))
    platforms = st.multiselect("Platforms", list(PLATFORMS), default=list(gaps.platforms) if use_gaps and gaps
                               else in_data[:2], key="generate_platforms",
                               format_func=lambda name: get_platform(name).label)
    offered = {t.topic_id: t for t in gen.topics_for_platforms(labelled, topics, platforms)}
    chosen_topics = st.multiselect("Topics", list(offered), default=list(offered)[: None if use_gaps else 2],
                                   key="generate_topics" + ("_gaps" if use_gaps else ""),
                                   format_func=lambda topic_id: offered[topic_id].label)
    presets = st.multiselect("Models", gen.MODEL_PRESETS, default=[gen.DEFAULT_MODEL], key="generate_models")
    other = st.text_input("Other models (backend:model, comma-separated)", key="generate_other_models",
                          help="e.g. openai:gpt-4o, or openai:MODEL with a base URL for vLLM, Ollama, llama.cpp")
    specs = list(dict.fromkeys([*presets, *(s.strip() for s in other.split(",") if s.strip())]))
    left, middle, right = st.columns(3)
    strategy = left.selectbox("Prompt strategy", STRATEGIES, key="generate_strategy", format_func=lambda s:
                              f"{s}: {STRATEGY_HELP[s]}")
    per_cell = middle.number_input("Posts per cell", 1, 1000, gaps.per_cell if use_gaps and gaps else 2,
                                   key="generate_per_cell")
    per_call = right.number_input("Posts per call", 1, 20, 1, key="generate_per_call")
    k = left.number_input("Real examples per prompt (k)", 1, 20, 5, key="generate_k")
    temperature = middle.slider("Temperature", 0.0, 2.0, 0.9, 0.05, key="generate_temperature")
    max_tokens = right.number_input(
        "Max tokens per call", 0, 8192, AUTO_MAX_TOKENS, key="generate_max_tokens",
        help="0: enough for the posts of a call at the platform's real length (95th percentile plus room), so a "
        "small model that rambles is cut where a real post ends")
    seed = left.number_input("Seed", 0, 2**31 - 1, 0, key="generate_seed")
    budget = middle.number_input("Budget in USD (0 = none)", 0.0, 10_000.0, 0.0, key="generate_budget")
    base_url = right.text_input("Base URL for openai: models (optional)", key="generate_base_url",
                                help="Several, comma-separated, make a fleet: calls are spread over the servers")
    candidates = middle.number_input(
        "Candidates per post", 1, 20, 1, key="generate_candidates",
        help="Generate this many candidates for each wanted post; the Post-process page's select step keeps the "
        "ones a real-vs-synthetic discriminator finds most real (costs this many times the calls)")
    personas = middle.checkbox(
        "Personas", key="generate_personas",
        help="Each prompt asks the model to write as a persona drawn with its call's seed (age, walk of life, "
        "stance toward the topic, posting habit), so a cell's posts do not all sound alike. Chat strategies only: "
        "completion prompts for base models ignore it")
    batch = left.toggle("Batch API (half price, results within a day)", key="generate_batch",
                        help="openai: and anthropic: models only; resume picks up the same jobs")
    use_cache = right.toggle(
        "Reuse cached answers", value=True, key="generate_use_cache",
        help="A call already made with the same model, server, prompt and seed returns its stored post at no "
        "cost. Turn off to ask the model again (e.g. after changing the server behind a base URL)")
    gen.key_inputs(specs, shown_keys)

    plan: Plan | None = None
    try:
        settings = {s: base_url_settings(s, base_url.replace(",", " ").split()) for s in specs}
        backends = gen.build_backends(specs, settings) if specs else {}
        models = tuple(ModelConfig(s, settings.get(s, {})).suited_to(backends[s]) for s in specs)
        config = GenerationConfig(
            models=models, topics=tuple(offered[t] for t in chosen_topics), platforms=tuple(platforms),
            per_cell=int(per_cell), candidates=int(candidates), posts_per_call=int(per_call), strategy=strategy,
            k=int(k), seed=int(seed), use_cache=use_cache, personas=personas,
            options=GenerationOptions(max_tokens=int(max_tokens), temperature=float(temperature)),
            budget_usd=float(budget) or None, batch=batch,
        )
        plan = plan_run(config, labelled)
        if base_models := [m.spec for m in models if m.strategy == "completion" and strategy != "completion"]:
            st.caption(f"{', '.join(base_models)}: a base model, so it gets `completion` prompts (few-shot real "
                       f"posts) whatever the strategy; the {strategy} strategy"
                       f"{' and personas apply' if personas else ' applies'} to chat models.")
    except SynthError as error:
        st.error(str(error), icon=":material/error:")

    if plan is not None:
        estimate = plan.estimate
        calls, posts, tokens, cost = st.columns(4)
        calls.metric("Calls", f"{estimate.calls:,}")
        posts.metric("Posts", f"{estimate.planned_posts:,}")
        tokens.metric("Tokens (estimated)", f"{estimate.input_tokens + estimate.output_tokens:,}",
                      help=f"{estimate.input_tokens:,} in + {estimate.output_tokens:,} out ({estimate.method})")
        cost.metric("Cost (estimated)", "unknown" if estimate.cost_usd is None else f"${estimate.cost_usd:.4f}",
                    help="no price for " + ", ".join(estimate.unpriced) if estimate.unpriced else
                    f"at most ${estimate.cost_usd_max:.4f} if every call uses all its tokens")
        cells = {call.cell_key: call for call in plan.calls if call.call_index == 0}
        with st.expander("Preview the prompt of a cell"):
            cell = st.selectbox("Cell (model | topic | platform)", list(cells), key="generate_preview_cell")
            request = cells[cell].request
            st.code(request.prompt if request.prompt is not None else "\n\n".join(
                f"[{m.role}]\n{m.content}" for m in request.messages), language=None, wrap_lines=True)
        if st.button("Start", type="primary", key="generate_start"):
            run_dir = runs_root() / plan.run_id
            gen.start_run(run_dir, backends, plan)
            st.session_state[gen.CURRENT_RUN] = str(run_dir)


def show_current_run() -> None:
    job = gen.current_run(st.session_state.get(gen.CURRENT_RUN))
    if job is None:
        return
    settle(job, 0.5)  # let the run advance a little before the page draws it again
    st.subheader(job.label)
    progress = job.detail
    if progress is not None:
        st.progress(progress.fraction, text=gen.progress_line(job, progress))
        for post in progress.latest_posts[-3:]:
            # Labels and model output are data: plain text, never markdown.
            st.text(f"{post.get('model', '')} · {post.get('platform', '')} · {post.get('topic', '')}\n"
                    f"{post.get('text', '')}")
    if job.running:
        if not job.cancel.is_set() and st.button("Cancel", key="generate_cancel"):
            job.cancel.set()  # no rerun needed: the note below shows at once
        if job.cancel.is_set():
            st.info("Cancelling… the run stops after the calls under way; what is done is kept.",
                    icon=":material/hourglass_top:")
        return
    kind, message = gen.final_message(job)
    getattr(st, kind)(message)
    # Each session of a run (the start, every resume) is added once; a resumed run brings all its posts.
    result = gen.run_result(job)
    if result is not None and st.session_state.get("generate_loaded") != id(job):
        st.session_state["generate_loaded"] = id(job)
        # Inside a fragment nothing may be drawn in the sidebar: the app rerun below redraws its counts.
        state.add_run_posts(result.posts, redraw=False)
        st.rerun(scope="app")
    if result is not None and result.posts.empty:
        st.caption("This run made no post, so the comparison set is unchanged.")
    st.caption(gen.comparison_set_line(state.get_synthetic_posts()))


def show_earlier_runs(running: bool) -> None:
    st.subheader("Earlier runs")
    runs = list_runs()
    if runs.empty:
        st.caption(f"No runs in {runs_root()} yet.")
        return
    st.dataframe(gen.runs_table(runs), hide_index=True, key="generate_runs_table")
    names = gen.run_labels(runs)
    picked = st.selectbox("Run", sorted(names, reverse=True), key="generate_run_pick", format_func=names.get)
    if picked is None:
        return
    gen.key_inputs(run_models(runs_root() / picked)[0], shown_keys)
    add_column, open_column, resume_column = st.columns(3)
    if add_column.button("Add its posts to the comparison set", key="generate_add",
                         help="compare several runs together; a run already in the set is replaced"):
        state.add_run_posts(load_run_posts(runs_root() / picked), redraw=False)
        st.rerun(scope="app")
    if open_column.button("Compare only its posts", key="generate_open"):
        posts = load_run_posts(runs_root() / picked)
        if posts.empty:
            st.warning("That run has no post yet: the comparison set is unchanged.", icon=":material/warning:")
        else:
            state.set_synthetic_posts(posts, redraw=False)
            st.rerun(scope="app")
    busy = running and str(runs_root() / picked) == st.session_state.get(gen.CURRENT_RUN)
    if resume_column.button("Resume", key="generate_resume", help="make only the calls not done yet",
                            disabled=busy):
        try:
            specs, saved = run_models(runs_root() / picked)
            gen.start_run(runs_root() / picked, gen.build_backends(specs, saved))
            st.session_state[gen.CURRENT_RUN] = str(runs_root() / picked)
            st.rerun(scope="app")
        except SynthError as error:
            st.error(str(error), icon=":material/error:")
    st.caption(gen.comparison_set_line(state.get_synthetic_posts()))


current = gen.current_run(st.session_state.get(gen.CURRENT_RUN))
going = current is not None and current.running
# Refresh every second only while a run is going; the end of a run reruns the whole app once.
st.fragment(run_every=1.0 if going else None)(show_current_run)()
# The runs table follows the run too (posts, status), every few seconds while one is going.
st.fragment(run_every=3.0 if going else None)(show_earlier_runs)(going)
