"""Scenario ids of an import: from the whole file name and the interaction index, sanitized,
unique, the same on every run; an existing scenario file is never overwritten silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cassettes.format import write_cassette
from harness.cassettes.import_ import STEM_LIMIT, cassette_stem, scenarios_from
from harness.cassettes.model import Cassette, Interaction
from harness.cli.app import main
from tests.cassettes.test_import import CHAT_STREAM, interaction

CHAT = "https://api.openai.com/v1/chat/completions"


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("TestChatOpenAI.test_stream.yaml.gz", "testchatopenai-test-stream"),
        ("TestChatOpenAI.test_invoke.yaml.gz", "testchatopenai-test-invoke"),
        (
            "test_agents_client.pyTestAgentClient.test_create_run.json",
            "test-agents-client-pytestagentclient-test-create-run",
        ),
        ("test_openai_model[gpt-4o].yaml", "test-openai-model-gpt-4o"),
        ("Ünïcode Name.YML", "n-code-name"),
        ("....yaml", "recording"),
    ],
)
def test_the_stem_is_the_whole_file_name_sanitized(name: str, stem: str) -> None:
    assert cassette_stem(f"/some/dir/{name}") == stem


def test_long_names_stay_unique_and_stable() -> None:
    a = "test_" + "x" * 100 + "_first.yaml"
    b = "test_" + "x" * 100 + "_second.yaml"
    assert cassette_stem(a) != cassette_stem(b)
    assert cassette_stem(a) == cassette_stem(a)
    assert len(cassette_stem(a)) <= STEM_LIMIT


def test_ids_carry_the_interaction_index_and_are_unique() -> None:
    one = interaction(CHAT, CHAT_STREAM)
    cassette = Cassette(
        tuple(Interaction(one.request, one.response, index=n) for n in range(3)),
        source="tests/TestX.test_y.yaml.gz",
        format="vcrpy",
    )
    ids = [found.scenario.id for found in scenarios_from(cassette) if found.scenario]
    assert ids == ["testx-test-y-1", "testx-test-y-2", "testx-test-y-3"]


def test_two_cassettes_of_one_test_class_import_side_by_side_and_never_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before, both were ``testx-1``: the second import failed or, with --force, silently
    replaced the first one's scenario."""
    out = tmp_path / "scenarios"
    for name in ("TestX.test_y.yaml", "TestX.test_z.yaml"):
        path = tmp_path / name
        write_cassette(path, Cassette((interaction(CHAT, CHAT_STREAM),), source=str(path)))
        assert main(["import", str(path), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["testx-test-y-1.yaml", "testx-test-z-1.yaml"]
    first = (out / "testx-test-y-1.yaml").read_text()
    # importing the same cassette again: refused without --force, the file is left alone
    (out / "testx-test-y-1.yaml").write_text(first + "# edited by hand\n")
    assert main(["import", str(tmp_path / "TestX.test_y.yaml"), "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "testx-test-y-1.yaml").read_text().endswith("# edited by hand\n")
    assert main(["import", str(tmp_path / "TestX.test_y.yaml"), "-o", str(out), "--force"]) == 0
    assert (out / "testx-test-y-1.yaml").read_text() == first


def test_many_cassettes_and_directories_import_in_one_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recorded = tmp_path / "recorded"
    (recorded / "deep").mkdir(parents=True)
    paths = [recorded / "TestA.test_a.yaml", recorded / "deep" / "TestB.test_b.json"]
    single = tmp_path / "TestC.test_c.yaml"
    for path in (*paths, single):
        write_cassette(path, Cassette((interaction(CHAT, CHAT_STREAM),), source=str(path)))
    (recorded / "notes.txt").write_text("not a cassette", encoding="utf-8")
    out = tmp_path / "scenarios"
    assert main(["import", str(recorded), str(single), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "testa-test-a-1.yaml",
        "testb-test-b-1.yaml",
        "testc-test-c-1.yaml",
    ]
    assert "imported 3 of 3 cassette(s)" in capsys.readouterr().out
    # one that cannot be imported is one line, the others still are; the status says so
    (recorded / "broken.json").write_text("{", encoding="utf-8")
    assert main(["import", str(recorded), "-o", str(tmp_path / "again")]) == 2
    captured = capsys.readouterr()
    assert [line for line in captured.err.splitlines() if "broken.json" in line]
    assert "imported 2 of 3 cassette(s)" in captured.out
    assert len(list((tmp_path / "again").iterdir())) == 2
