"""The one home of colours: the same platform, source or model has the same colour on every page and in the
report, whatever else a figure shows (a fixed table, never the order values happen to appear in)."""

from __future__ import annotations

from collections.abc import Iterable

from synth import schema
from synth.platforms import PLATFORMS, normalise_platform

SOURCE_COLORS: dict[str, str] = {schema.REAL: "#4C78A8", schema.SYNTHETIC: "#F58518"}
SOURCE_SYMBOLS: dict[str, str] = {schema.REAL: "circle", schema.SYNTHETIC: "diamond"}
# One colour per platform we know (distinct on screen and in print); an unknown platform gets OTHER_COLOR.
PLATFORM_COLORS: dict[str, str] = dict(zip(PLATFORMS, (
    "#1f77b4",  # twitter
    "#ff7f0e",  # reddit
    "#d62728",  # youtube
    "#9467bd",  # instagram
    "#17becf",  # tiktok
    "#2ca02c",  # telegram
    "#8c564b",  # facebook
    "#e377c2",  # mastodon
    "#393b79",  # bluesky
    "#bcbd22",  # threads
    "#637939",  # linkedin
), strict=True))
OTHER_COLOR = "#9e9e9e"
# Categories without a fixed table (models, topics) take colours in the order of their sorted names, so the
# same set of models or topics gets the same colours on every page and in the report.
CATEGORY_PALETTE: tuple[str, ...] = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d",
                                     "#1f78b4", "#b2df8a", "#fb9a99", "#cab2d6", "#6a3d9a", "#b15928", "#8dd3c7")


def platform_color(platform: object) -> str:
    """The fixed colour of a platform (any alias), or OTHER_COLOR."""
    return PLATFORM_COLORS.get(normalise_platform(platform) or "", OTHER_COLOR)


def colors_for(column: str, values: Iterable[object]) -> dict[str, str]:
    """Value -> colour for a figure coloured by `column`: fixed tables for source and platform, the sorted
    order of the names for anything else (models, topics)."""
    names = sorted({str(value) for value in values})
    if column == schema.SOURCE:
        return {name: SOURCE_COLORS.get(name, OTHER_COLOR) for name in names}
    if column == schema.PLATFORM:
        return {name: platform_color(name) for name in names}
    return {name: CATEGORY_PALETTE[index % len(CATEGORY_PALETTE)] for index, name in enumerate(names)}
