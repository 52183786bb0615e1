"""The answer quality on the project's own labelled questions stays above a floor.

`tests/data/quality.yaml` is written independently of any evaluation set. The floors sit a
little below today's pass rates, so an honest improvement elsewhere never breaks the build,
but a regression in matching, language or intent detection does.
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.answering import Reply, Responder
from bot.config import DEFAULT_KNOWLEDGE_DIR
from bot.kb.loader import load_knowledge

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parent / "data" / "quality.yaml").read_text(encoding="utf-8")
)
IN_SCOPE = {"asker", "ockero", "hallstahammar", "katrineholm", "no_municipality"}
ABSTAIN = {"out_of_scope", "hard_negative", "smalltalk"}
# A single plausible entry is answered with "Not what you asked?" rather than offered as the
# only choice of a "did you mean": more questions in scope are answered (94.0% before), and a
# few hard negatives get such an answer, which counts here as not abstaining (95.7% before).
FLOORS = {"in_scope": 94.0, "emergency": 100.0, "help": 100.0, "abstain": 85.0}

responder = Responder(load_knowledge(DEFAULT_KNOWLEDGE_DIR).kb)


def passes(case: dict[str, Any], reply: Reply) -> bool:
    if reply.kind not in case["expect"]:
        return False
    if reply.kind in ("answer", "emergency"):
        text = html.unescape(re.sub(r"<[^>]+>", "", reply.text))
        if not all(re.search(fact, text, re.IGNORECASE) for fact in case.get("facts") or []):
            return False
        if case.get("lang") and reply.kind == "answer" and reply.language != case["lang"]:
            return False
    return True


def rates() -> tuple[dict[str, float], list[str]]:
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    for case in CASES:
        reply = responder.answer(case["q"], case.get("m"))
        ok = passes(case, reply)
        groups = ["in_scope"] if case["cat"] in IN_SCOPE else []
        groups += ["abstain"] if case["cat"] in ABSTAIN else []
        for group in [case["cat"], *groups]:
            tally[group][0] += ok
            tally[group][1] += 1
        if not ok:
            failures.append(f"{case['cat']}: {case['q']!r} -> {reply.kind} {reply.entry_id}")
    return {g: 100.0 * ok / n for g, (ok, n) in tally.items()}, failures


@pytest.mark.parametrize(("group", "floor"), sorted(FLOORS.items()))
def test_pass_rate_stays_above_the_floor(group: str, floor: float) -> None:
    result, failures = rates()
    assert result[group] >= floor, "\n".join(failures)
