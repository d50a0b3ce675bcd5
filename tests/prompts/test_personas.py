"""Personas: sampled per call seed, written into chat prompts, left out of completion prompts."""

from __future__ import annotations

import tomllib

import pytest

from synth.prompts.personas import PERSONAS_PATH, Persona, sample_persona
from synth.prompts.render import PERSONA_TEMPLATE, STRATEGIES, render_prompt
from tests.prompts.test_prompts import TOPIC, make_posts


def test_the_same_seed_gives_the_same_persona() -> None:
    assert sample_persona(7) == sample_persona(7)
    # Pinned: the draw must not change between machines or Python versions, or resumed runs would differ.
    assert sample_persona(0).line() == (
        "a stay-at-home parent in their thirties, amused about the topic; writes all in lowercase, with a typo or two"
    )


def test_seeds_give_varied_personas_from_every_axis() -> None:
    personas = [sample_persona(seed) for seed in range(200)]
    assert len(set(personas)) > 150
    with PERSONAS_PATH.open("rb") as file:
        axes = tomllib.load(file)
    for field, axis in (("age", "ages"), ("walk_of_life", "walks_of_life"), ("stance", "stances"),
                        ("habit", "habits")):
        assert {getattr(persona, field) for persona in personas} == set(axes[axis])


def test_persona_line() -> None:
    persona = Persona("in their twenties", "a nurse", "sceptical", "uses lots of emoji")
    assert persona.line() == "a nurse in their twenties, sceptical about the topic; uses lots of emoji"


@pytest.mark.parametrize("strategy", [s for s in STRATEGIES if s != "completion"])
def test_chat_prompts_write_as_the_persona_before_the_format_line(strategy: str) -> None:
    persona = sample_persona(3)
    plain = render_prompt(strategy, topic=TOPIC, platform="twitter", real_posts=make_posts(), k=2, seed=1)
    rendered = render_prompt(
        strategy, topic=TOPIC, platform="twitter", real_posts=make_posts(), k=2, seed=1, persona=persona
    )
    user = rendered.request.messages[1].content
    assert user.endswith(f"Write as: {persona.line()}\n\nReply with the text of the post only.")
    assert user.replace(PERSONA_TEMPLATE.format(persona=persona.line()), "") == plain.request.messages[1].content
    assert rendered.params["persona"] == persona.line() and "persona" not in plain.params
    assert rendered.prompt_id != plain.prompt_id


def test_completion_prompts_ignore_the_persona() -> None:
    plain = render_prompt("completion", topic=TOPIC, platform="twitter", real_posts=make_posts(), k=2, seed=1)
    with_persona = render_prompt(
        "completion", topic=TOPIC, platform="twitter", real_posts=make_posts(), k=2, seed=1, persona=sample_persona(3)
    )
    assert with_persona.request == plain.request and "persona" not in with_persona.params
