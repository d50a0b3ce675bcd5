from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser

import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from synth.errors import InputError
from synth.metrics.leaderboard import build_leaderboard
from synth.report.html import SECTIONS, build_report, flatten_metrics, metric_definitions, sample_posts, write_report
from tests.support import launch_chromium

HOSTILE = '<script>alert("x")</script> <a href="https://evil.example/p">click</a> <img src=https://evil.example/i>'
URL_POST = "read this https://example.org/news #vaccine"


def _posts(texts: list[str], platform: str, source: str, model: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame({
        "post_id": [f"{source}-{model}-{platform}-{i}" for i in range(len(texts))],
        "platform": platform, "text": texts, "source": source,
    })
    return frame if model is None else frame.assign(model=model)


@pytest.fixture(scope="module")
def real() -> pd.DataFrame:
    tweets = [f"got my dose {i} today #vax @clinic" for i in range(12)] + [URL_POST]
    reddit = [f"Has anyone had side effects after dose {i}? My arm is sore." for i in range(12)]
    return pd.concat([_posts(tweets, "twitter", "real"), _posts(reddit, "reddit", "real")], ignore_index=True)


@pytest.fixture(scope="module")
def synthetic() -> pd.DataFrame:
    tweets = [f"second shot done {i} #vaccine 💪" for i in range(10)] + [HOSTILE]
    reddit = [f"Question about dose {i}: is a sore arm normal?" for i in range(10)]
    model = '<b>evil-model</b>'
    return pd.concat([_posts(tweets, "twitter", "synthetic", model), _posts(reddit, "reddit", "synthetic", model)],
                     ignore_index=True)


METRICS = {
    "lexical": {
        "all": {"chars_mean": {"real": 40.5, "synthetic": 35.25, "baseline": 40.0}, "ks_chars": 0.25},
        "twitter": {"nearest": {"synthetic": {"mean": 0.5, "median": 0.6}, "baseline": {"mean": 0.7, "median": 0.8}}},
    },
    "privacy": {"exact_copies": 2, "handles_reproduced": ["@clinic"], "rate": float("nan")},
}


class _Collector(HTMLParser):
    """Every tag with its attributes, every text node, and the text of every <style> block."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def html(real: pd.DataFrame, synthetic: pd.DataFrame) -> str:
    board = build_leaderboard(real, synthetic, n_boot=20, seed=0, min_posts=5)
    manifest = {"run_id": "run-1", "config": {"models": [{"spec": "local:smollm2"}], "platforms": ["twitter"],
                                               "seed": 3}, "tokens": {"input": 10, "output": 20}}
    return build_report(real, synthetic, metrics=METRICS, manifest=manifest, leaderboard=board,
                        samples_per_platform=20)


def test_report_has_every_section_in_order(html: str) -> None:
    collector = _Collector()
    collector.feed(html)
    ids = [attrs.get("id") for tag, attrs in collector.tags if tag == "section"]
    assert ids == list(SECTIONS)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<h2>Leaderboard</h2>" in html and "run-1" in html and "local:smollm2" in html


def test_report_makes_no_network_reference(html: str) -> None:
    collector = _Collector()
    collector.feed(html)
    network = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
    for tag, attrs in collector.tags:
        assert tag not in {"link", "iframe", "img", "object", "embed", "base"}, tag
        for name in ("src", "href", "action", "poster", "data", "srcset", "background"):
            assert not network.match(attrs.get(name) or ""), (tag, name, attrs[name])
    assert not any("url(" in style or "@import" in style for style in collector.styles)
    # Outside the inlined plotly.js library, the only URLs are inside (escaped) post text.
    bundle = get_plotlyjs()
    assert html.count(bundle) == 1
    outside = html.replace(bundle, "")
    assert set(re.findall(r"https?://[^\s<\"'&]+", outside)) <= {"https://example.org/news",
                                                                   "https://evil.example/p", "https://evil.example/i"}


def test_user_text_is_escaped(html: str) -> None:
    assert "<script>alert" not in html and '<a href="https://evil.example' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=https://evil.example/i&gt;" in html
    assert "<b>evil-model</b>" not in html and "&lt;b&gt;evil-model&lt;/b&gt;" in html
    assert "💪" in html


def test_report_holds_the_figures_metrics_and_definitions(html: str) -> None:
    # 5 feature distributions over all posts + the length per platform (2) + heatmap + bars.
    assert html.count("Plotly.newPlot(") == 9
    assert ">chars_mean<" in html and ">40.5<" in html and ">35.25<" in html
    assert ">nearest.median<" in html and ">0.8<" in html
    assert ">exact_copies<" in html and ">@clinic<" in html
    # The lexical scorecard: chars_mean gap 5.25 vs baseline gap 0.5 (floor 5% of 40.5 = 2.025) -> ratio 2.59.
    assert "<h3>Lexical scorecard</h3>" in html
    assert '<td class="amber">Mean length (characters)</td>' in html and '<td class="num amber">2.593</td>' in html
    assert "Not computed for this report: semantic, multiplatform" in html
    for entries in metric_definitions().values():
        for key in entries:
            assert f"<dt>{key}</dt>" in html


def test_flatten_metrics_layout() -> None:
    lexical = flatten_metrics(METRICS["lexical"], by_platform=True)
    assert lexical[["group", "metric"]].values.tolist() == [
        ["all", "chars_mean"], ["all", "ks_chars"], ["twitter", "nearest.mean"], ["twitter", "nearest.median"],
    ]
    first = lexical.iloc[0]
    assert (first["real"], first["synthetic"], first["baseline"]) == ("40.5", "35.25", "40")
    assert lexical.iloc[1]["value"] == "0.25"
    assert lexical.iloc[3][["synthetic", "baseline"]].tolist() == ["0.6", "0.8"]
    privacy = flatten_metrics(METRICS["privacy"], by_platform=False)
    assert privacy.set_index("metric")["value"].to_dict() == {
        "exact_copies": "2", "handles_reproduced": "@clinic", "rate": "–",
    }


def test_samples_are_seeded_and_per_platform(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    first = sample_posts(real, synthetic, per_platform=3, seed=1)
    assert first == sample_posts(real, synthetic, per_platform=3, seed=1)
    assert set(first) == {"reddit", "twitter"}
    assert len(first["twitter"]["real"]) == 3 and len(first["twitter"]["synthetic"]) == 3
    assert all(text.startswith("[<b>evil-model</b>] ") for text in first["reddit"]["synthetic"])


def test_report_without_manifest_or_leaderboard(real: pd.DataFrame, synthetic: pd.DataFrame, tmp_path) -> None:
    path = write_report(tmp_path / "out" / "report.html", real, synthetic.drop(columns="model"))
    text = path.read_text(encoding="utf-8")
    assert "No run manifest" in text and "No leaderboard in this report" in text
    assert "Not computed for this report: lexical, semantic, multiplatform, privacy" in text


def test_empty_posts_are_a_clear_error(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="synthetic posts: nothing to report on"):
        build_report(real, synthetic.iloc[:0])
    with pytest.raises(InputError, match="real posts"):
        build_report(real.drop(columns="text"), synthetic)


def test_cli_writes_the_report_and_the_bundle(real: pd.DataFrame, synthetic: pd.DataFrame, tmp_path, capsys) -> None:
    import json
    import zipfile

    from synth.cli import main
    from synth.report.bundle import BUNDLE_FILES

    real.to_csv(tmp_path / "real.csv", index=False)
    synthetic.to_csv(tmp_path / "synthetic.csv", index=False)
    (tmp_path / "metrics.json").write_text(json.dumps(METRICS | {"privacy": {"exact_copies": 0}}))
    code = main(["report", "--real", str(tmp_path / "real.csv"), "--synthetic", str(tmp_path / "synthetic.csv"),
                 "--metrics", str(tmp_path / "metrics.json"), "--out", str(tmp_path / "out" / "report.html"),
                 "--bundle", str(tmp_path / "out" / "bundle.zip"), "--n-boot", "10", "--samples", "2"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and "bundle:" in printed and "note:" not in printed
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert ">chars_mean<" in html and "&lt;b&gt;evil-model&lt;/b&gt;" in html
    with zipfile.ZipFile(tmp_path / "out" / "bundle.zip") as bundle:
        assert set(bundle.namelist()) == {*BUNDLE_FILES, "metrics.json"}
        posts = pd.read_csv(bundle.open("synthetic_posts.csv"))
    assert len(posts) == len(synthetic) and set(posts["source"]) == {"synthetic"}
    assert set(posts["model"]) == {"<b>evil-model</b>"}


def test_cli_bad_input_exits_2(real: pd.DataFrame, synthetic: pd.DataFrame, tmp_path, capsys) -> None:
    from synth.cli import main

    real.to_csv(tmp_path / "real.csv", index=False)
    synthetic.to_csv(tmp_path / "synthetic.csv", index=False)
    (tmp_path / "bad.json").write_text("[1, 2]")
    base = ["report", "--real", str(tmp_path / "real.csv"), "--out", str(tmp_path / "r.html")]
    assert main(base) == 2
    assert "give the synthetic posts" in capsys.readouterr().err
    assert main([*base, "--synthetic", str(tmp_path / "synthetic.csv"), "--metrics", str(tmp_path / "bad.json")]) == 2
    assert "holds one JSON object" in capsys.readouterr().err
    assert main([*base, "--synthetic", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.e2e
@pytest.mark.slow
def test_report_opens_offline_in_a_browser_without_any_request(html: str, tmp_path) -> None:
    """Chromium, offline: the figures draw, and the page asks for nothing but its own file."""
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            context = browser.new_context()
            context.set_offline(True)
            page = context.new_page()
            page.on("request", lambda request: requests.append(request.url))
            page.goto(path.as_uri())
            page.wait_for_function("document.querySelectorAll('.plotly-graph-div .main-svg').length >= 9",
                                   timeout=30_000)
            assert page.evaluate("typeof window.Plotly") == "object"
            assert page.locator("section#samples td.post").first.inner_text() != ""
            assert page.evaluate("document.querySelectorAll('script[src], link, img, iframe').length") == 0
        finally:
            browser.close()
    assert requests and all(url.startswith(("file://", "data:", "blob:")) for url in requests), requests


@pytest.mark.slow
def test_all_metrics_fill_every_section(real: pd.DataFrame, synthetic: pd.DataFrame) -> None:
    from synth.embeddings.embedder import HashingEmbedder
    from synth.report.artifacts import make_artifacts

    two_models = synthetic.assign(model=["a" if i % 2 else "b" for i in range(len(synthetic))])
    artifacts = make_artifacts(real, two_models, n_boot=0, all_metrics=True, embedder=HashingEmbedder(64))
    assert artifacts.notes == ()
    html = artifacts.report_html
    for section in ("Lexical", "Semantic", "Multiplatform", "Privacy"):
        assert f"<h3>{section}</h3>" in html
    assert "Not computed for this report" not in html
    with zipfile.ZipFile(io.BytesIO(artifacts.bundle)) as bundle:
        metrics = json.loads(bundle.read("metrics.json"))
    assert set(metrics["by_model"]) == {"a", "b"} and metrics["meta"]["embedder"]["name"] == "hashing-64"
    assert "<h4>model a, all platforms</h4>" in html and "<h4>model b, all platforms</h4>" in html


def test_artifacts_tokenise_the_real_posts_once_and_keep_the_card_they_bundle(
    real: pd.DataFrame, synthetic: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synth.metrics.lexical_posts as lexical_posts
    from synth.report.artifacts import make_artifacts

    tokenise = lexical_posts.tokenize_series
    sizes: list[int] = []

    def spy(texts: pd.Series) -> pd.Series:
        sizes.append(len(texts))
        return tokenise(texts)

    monkeypatch.setattr(lexical_posts, "tokenize_series", spy)
    artifacts = make_artifacts(real, synthetic, n_boot=0)
    assert sizes.count(len(real)) == 1  # lexical metrics, leaderboard and report's halves share it
    with zipfile.ZipFile(io.BytesIO(artifacts.bundle)) as bundle:
        assert bundle.read("DATASET_CARD.md").decode("utf-8") == artifacts.card
        assert tuple(bundle.namelist()) == artifacts.files
