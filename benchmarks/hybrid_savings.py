"""How many LLM calls hybrid mode saves: the questions the offline mapper answers completely.

    .venv/bin/python benchmarks/hybrid_savings.py [QUESTIONS.yaml ...]

Defaults to the held-out sets in tests/eval and, when present, the shared dev set ($CRQ_SHARED, else
../shared). Follow-ups are asked after the question they follow, as in a conversation. No database
and no LLM are needed: only the offline reading is counted.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from runtime.mappers.offline import OfflineMapper  # noqa: E402
from semantic import load_model  # noqa: E402


def savings(path: Path) -> tuple[int, int]:
    spec = yaml.safe_load(path.read_text())
    mapper = OfflineMapper(load_model(), {}, as_of=dt.date.fromisoformat(str(spec["as_of"])))
    by_id = {q["id"]: q for q in spec["questions"]}
    saved = 0
    for q in spec["questions"]:
        previous = None
        if q.get("followup_of"):
            previous = mapper.map(by_id[q["followup_of"]]["question"]).intent
        m = mapper.map(q["question"], previous)
        saved += m.status == "answered" and m.complete
    return saved, len(spec["questions"])


def main() -> None:
    shared = Path(os.environ.get("CRQ_SHARED") or ROOT.parent / "shared")
    held_out = sorted((ROOT / "tests/eval").glob("heldout*_questions.yaml"))
    defaults = (*held_out, shared / "eval/dev_questions.yaml")
    files = [Path(a) for a in sys.argv[1:]] or [p for p in defaults if p.exists()]
    for f in files:
        saved, total = savings(f)
        print(f"{f.name}: hybrid answers {saved} of {total} questions offline "
              f"({100 * saved / total:.0f}% of LLM calls saved)")


if __name__ == "__main__":
    main()
