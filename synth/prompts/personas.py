"""Personas: who writes a post, sampled per call so a cell's posts do not all sound like one author.

A persona is one value from each axis in `personas.toml` (age band, walk of life, stance toward the topic,
posting habit). Chat prompts ask the model to write as it (`synth.prompts.render`); completion prompts for
base models do not, since a line of instructions would break their few-shot continuation.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

PERSONAS_PATH = Path(__file__).with_name("personas.toml")
_AXES = ("ages", "walks_of_life", "stances", "habits")


@dataclass(frozen=True)
class Persona:
    """Who writes one call's posts."""

    age: str
    walk_of_life: str
    stance: str
    habit: str

    def line(self) -> str:
        """The persona as one line, e.g. 'a nurse in their thirties, sceptical about the topic; uses lots of
        emoji'."""
        return f"{self.walk_of_life} {self.age}, {self.stance} about the topic; {self.habit}"


def sample_persona(seed: int) -> Persona:
    """The persona of the call seeded `seed`: the same seed gives the same persona on any machine."""
    # A string seed is hashed (SHA-512) into the generator, so it is stable across Python versions and
    # independent of the numpy generator the same seed drives to draw the call's examples.
    rng = random.Random(f"persona:{seed}")
    age, walk_of_life, stance, habit = (rng.choice(values) for values in _axes())
    return Persona(age, walk_of_life, stance, habit)


@cache
def _axes() -> tuple[tuple[str, ...], ...]:
    with PERSONAS_PATH.open("rb") as file:
        data = tomllib.load(file)
    return tuple(tuple(data[axis]) for axis in _AXES)
