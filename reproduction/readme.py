"""The README's results table, generated from the committed tables (table<N>.json)."""

from __future__ import annotations

import json
from pathlib import Path

from pse_tf import atomic
from reproduction.tables import METRICS, TABLES, cell, gap, paper_values, summarise

BEYOND_THE_PAPER = "beyond_the_paper"  # results/<this>/<source>.json: `write_beyond_the_paper`
README_BEGIN = "<!-- results table: scripts/reproduce.py writes it -->"
README_END = "<!-- end of results table -->"


def write_readme_table(readme: str, out: str):
    """Rewrite the table between the README's markers from the committed tables."""
    path = Path(readme) if readme else None
    if path is None or not path.is_file() or README_BEGIN not in (text := path.read_text()):
        return
    head, rest = text.split(README_BEGIN, 1)
    atomic.write_text(path, f"{head}{README_BEGIN}\n{summary_table(out)}{README_END}"
                            f"{rest.split(README_END, 1)[1]}")
    print(f"rewrote the results table of {path}")


def summary_table(results: str | Path = "results",
                  fallbacks: tuple = ("steps20000",)) -> str:
    """The PSE and PSE* rows of Tables 1 and 2 and Table 3's word-vector PSE* as one markdown
    table (the README's), from the committed table<N>.json: the converged budget's rows, and
    for a row not finished there the first fallback folder's, its budget in the steps column.
    Spreads are recomputed from the per-seed values as sample standard deviations. A last line
    counts the Tables 1-2 cells met at the converged budget (rows from a fallback do not count)."""
    lines = ["| data set | model | steps | seeds | reconstruction ↓ (paper) | "
             "annotation % ↑ (paper) | generation % ↑ (paper) |",
             "|---|---|---|---|---|---|---|"]
    met, compared, budget = 0, 0, None
    for table in (1, 2, 3):
        dataset = TABLES[table][0]
        for row in TABLES[table][1]:
            # Tables 1-2's PSE rows, and Table 3's word-vector PSE* (the `make run` model).
            word_vectors = row.label_encoding != "onehot"
            if (row.model not in ("pse", "pse_star") or (table == 3) != word_vectors
                    or (table == 3 and row.model != "pse_star")):
                continue
            found = _committed_row(Path(results), table, row.label, fallbacks)
            if found is None:
                lines.append(f"| {dataset} | {row.label} | — | — | not run yet | | |")
                continue
            summary = summarise(found["runs"])
            label = "PSE* (10D), word vectors" if table == 3 else row.label
            lines.append("| " + " | ".join([
                dataset, label, f"{found['steps']:,}", str(len(found["runs"])),
                *(cell(k, summary.get(k), row.paper.get(k)) for k in METRICS)]) + " |")
            if table in (1, 2) and found["folder"] == Path(results):
                budget = found["steps"]
                for k in METRICS:
                    if summary.get(k) is not None and row.paper.get(k) is not None:
                        compared += 1
                        met += gap(k, summary[k]["mean"], row.paper[k]) <= 0
    lines += _beyond_the_paper(Path(results))
    lines.append("")
    if compared:
        lines.append(f"Tables 1–2 at {budget:,} steps: {met} of {compared} PSE/PSE\\* cells met.")
    return "\n".join(lines) + "\n"


def write_beyond_the_paper(results: str | Path, source: str, rows: list[dict]) -> Path:
    """Rows beyond the paper for the README's table: <results>/beyond_the_paper/<source>.json.

    Each row: `table` (1-3), `paper_label` (the row of `TABLES[table]` whose paper values go in
    brackets), `label` (as shown), `steps`, `planned_seeds` and `runs` (each seed's metrics,
    as in metrics.json). They count in no cell tally."""
    return atomic.write_json(Path(results) / BEYOND_THE_PAPER / f"{source}.json", {"rows": rows})


def _beyond_the_paper(results: Path) -> list[str]:
    """The table lines of every `write_beyond_the_paper` file under `results`."""
    lines = []
    for path in sorted((results / BEYOND_THE_PAPER).glob("*.json")):
        for row in json.loads(path.read_text())["rows"]:
            dataset, paper = TABLES[row["table"]][0], paper_values(row["table"], row["paper_label"])
            seeds, planned = len(row["runs"]), row["planned_seeds"]
            if not seeds:
                lines.append(f"| {dataset} | {row['label']} | {row['steps']:,} | 0 of {planned} "
                             "| not finished yet | | |")
                continue
            summary = summarise(row["runs"])
            lines.append("| " + " | ".join([
                dataset, row["label"], f"{row['steps']:,}",
                str(seeds) if seeds == planned else f"{seeds} of {planned}",
                *(cell(k, summary.get(k), paper.get(k)) for k in METRICS)]) + " |")
    return lines


def _committed_row(results: Path, table: int, label: str, fallbacks) -> dict | None:
    for folder in (results, *(results / f for f in fallbacks)):
        path = folder / f"table{table}.json"
        if path.is_file():
            for row in json.loads(path.read_text())["rows"]:
                if row["label"] == label:
                    return {**row, "folder": folder}
    return None
