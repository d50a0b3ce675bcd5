import pytest

from synth.platforms import PLATFORMS, get_platform, normalise_platform


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("X", "twitter"), ("twitter.com", "twitter"), ("Tweet", "twitter"), (" Twitter/X ", "twitter"),
        ("IG", "instagram"), ("Instagram", "instagram"), ("www.reddit.com", "reddit"), ("YT", "youtube"),
        ("Tik Tok", "tiktok"), ("tik-tok", "tiktok"), ("t.me", "telegram"), ("FB", "facebook"),
        ("bsky", "bluesky"), ("reddit", "reddit"),
    ],
)
def test_normalise_platform_maps_common_spellings(raw: str, expected: str) -> None:
    assert normalise_platform(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "myspace", None, 3.0])
def test_normalise_platform_returns_none_for_unknown(raw: object) -> None:
    assert normalise_platform(raw) is None


def test_every_platform_has_a_positive_limit_and_maps_to_itself() -> None:
    for name, platform in PLATFORMS.items():
        assert platform.max_chars > 0
        assert normalise_platform(name) == name
        assert normalise_platform(platform.label) == name


def test_get_platform_names_the_known_platforms_when_unknown() -> None:
    assert get_platform("X").max_chars == 280
    with pytest.raises(KeyError, match="known: twitter"):
        get_platform("myspace")
