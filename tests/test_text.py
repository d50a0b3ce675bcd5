import pandas as pd

from synth.text import count_features, tokenize


def test_tokenize_keeps_social_tokens_whole() -> None:
    text = "Got my #COVID19 shot 💉 thanks @NHS_England! See https://t.co/AbC123 u/some_user"
    assert tokenize(text) == [
        "got", "my", "#covid19", "shot", "💉", "thanks", "@nhs_england", "see", "https://t.co/abc123", "u/some_user",
    ]


def test_tokenize_keeps_multi_codepoint_emoji_whole() -> None:
    family, flag, thumbs = "👨‍👩‍👧", "🇮🇳", "👍🏽"
    assert tokenize(f"{family}{flag} ok {thumbs}") == [family, flag, "ok", thumbs]


def test_count_features_exact_counts() -> None:
    texts = pd.Series(
        ["#a #b @c http://x.y 😀😀", "mail me at a@b.com, rank #1", "", None, "www.site.org r/india u/bob"],
        index=[10, 11, 12, 13, 14],
    )
    features = count_features(texts)
    assert list(features.index) == [10, 11, 12, 13, 14]
    assert features["hashtags"].tolist() == [2, 0, 0, 0, 0]
    assert features["mentions"].tolist() == [1, 0, 0, 0, 1]
    assert features["urls"].tolist() == [1, 0, 0, 0, 1]
    assert features["emoji"].tolist() == [2, 0, 0, 0, 0]
    assert features["chars"].tolist() == [22, 27, 0, 0, 26]
    # "a@b.com" is no mention: a, b, com are words; "r/india" is r, india.
    assert features["tokens"].tolist() == [6, 8, 0, 0, 4]


def test_count_features_does_not_mutate_input() -> None:
    texts = pd.Series(["Hello #World"])
    before = texts.copy()
    count_features(texts)
    pd.testing.assert_series_equal(texts, before)


def test_a_url_stops_before_an_emoji_written_straight_after_it() -> None:
    text = "watch https://youtu.be/abc❇️❇️ now https://t.co/x…"
    assert tokenize(text) == ["watch", "https://youtu.be/abc", "❇️", "❇️", "now", "https://t.co/x"]
    assert count_features(pd.Series([text]))[["urls", "emoji"]].iloc[0].tolist() == [2, 2]


def test_double_hash_is_a_hashtag_and_word_hash_and_numbers_are_not() -> None:
    assert tokenize("##Tag word#tag #123 C# #ok") == ["#tag", "word", "tag", "123", "c", "#ok"]
    assert count_features(pd.Series(["##Tag word#tag #123 #ok"]))["hashtags"].tolist() == [2]


def test_count_features_counts_what_the_lexical_metrics_count() -> None:
    from synth.metrics.lexical import lexical_features

    texts = pd.Series(["see https://x.io/#frag❤️ #a@b", "##x @y.z u/bob www.a.b/c?d=#e", "1️⃣ #️⃣ © ™", ""])
    columns = ["chars", "tokens", "hashtags", "mentions", "urls", "emoji"]
    pd.testing.assert_frame_equal(count_features(texts), lexical_features(texts)[columns])
