"""docs/node-codes.md, generated from hub/domain/nodecodes.py (python -m hub.ops.nodecodes_doc)."""

from __future__ import annotations

import sys
from pathlib import Path

from hub.domain import nodecodes

COMMAND = "hub docs node-codes --out docs/node-codes.md"


def _cell(text: str | None) -> str:
    return "—" if text is None else text.replace("|", "\\|")


def _code(code: str | None) -> str:
    return "none fits" if code is None else f"**{code}** ({_cell(nodecodes.MEANINGS[code])})"


def render() -> str:
    """The whole document."""
    out = [
        "# Node-style codes on adapter refusals",
        "",
        f"Generated from `hub/domain/nodecodes.py` by `{COMMAND}`. Do not edit by hand: a test "
        "fails when this copy is stale.",
        "",
        "A national node refuses what it will not forward with a code of its own, and vendors' "
        'software already maps those codes. Every refusal body of an adapter (`{"detail": {...}}`, '
        "the shape of `adapters/refusal.py`) keeps the hub's own `error`, `reason` and `detail` "
        "and adds `node_code` and `node_code_meaning`: the nearest code of the GGK's Fo01 list on "
        "the GGK-like adapter, of VECOZO's list on the VECOZO-like adapter. Where no code fits, "
        "both are absent. A refusal about one field of the message also names it: `field` and "
        "`value` (a party code, never personal data).",
        "",
        "The facts are the lists and the *nearest node code* line of the project's rule "
        "reference (rules.md §4, with domain.md §4.4). Rows marked *reading* are our choice "
        "where that line names no code for the refusal; the reason is in the row.",
        "",
        "| error / reason | GGK-like adapter (Fo01) | VECOZO-like adapter | basis |",
        "|---|---|---|---|",
    ]
    for row in nodecodes.TABLE:
        reason = "any" if row.reason == nodecodes.ANY else f"`{row.reason}`"
        out.append(
            f"| `{row.error}` / {reason} | {_code(row.ggk)} | {_code(row.vecozo)} | "
            f"{_cell(row.basis)} |"
        )
    out += [
        "",
        "A refusal whose error and reason the table does not list (a query parameter that does "
        "not parse, for one) carries no node code.",
        "",
        "## Choices",
        "",
        "- **Which VECOZO list.** VECOZO has codes on two public lists: the Fo01 list (IB008–"
        "IB022, IB901–IB905) and its portal/service codes (BRS). rules.md's nearest-code line "
        "mixes them (IB014 with BRS13 in brackets, BRS14, BRS04); we take the code that line "
        "names first, so a vendor sees what that line promises.",
        "- **IB004 on both sides.** The Fo01 list gives IB004 to BIDN (the GGK side), yet the "
        "nearest-code line names it for VECOZO too, and VECOZO's BRS list has no code for an "
        "unknown message kind (BRS33 is about routing). We follow the nearest-code line.",
        "- **'IB002 or IB006 / BRS01 or BRS03'.** The line gives two codes each for 'sender not "
        "registered or spoofed Afzender'. We pair them in order: no valid token (an unregistered "
        "sender) is IB002 / BRS01; a message whose Afzender the uploader may not send for is "
        "IB006 / BRS03 (BRS03: the submitter is not mandated by the sender).",
        "- **Nodes.md** notes that two public Fo01 code lists exist and conflict; rules.md §4 "
        "holds the one list this project takes as fact, and this table uses only that.",
        "- **Not adapter refusals.** The line's other entries are answered by the core, not by "
        "an adapter refusal: an in-message rule (0001) with a retour (VECOZO: BRS28), a "
        "duplicate Identificatie (TR056, IB016 / BRS20) with a retour carrying 9056, a second "
        "325 for one 323 (IB019) with a dead letter.",
        "",
        "## Known receivers",
        "",
        "A heenbericht goes to a registered party of the kind and node its message type needs: a "
        "305/307/315/317/323 to a gemeente (ggk node), a 301/319 to an aanbieder (vecozo node), "
        "a 405/407 to the CAK. The adapter refuses anything else with 422 and one of the "
        "reasons `unknown_gemeente`, `unknown_aanbieder` (not registered), `not_the_cak` or "
        "`wrong_receiver` (registered, but of another kind), naming `field` "
        "`Header/Ontvanger` and its `value`. The message schemas already hold the Ontvanger to "
        "its kind's shape (4 digits for a gemeente, 8 for an aanbieder or the CAK). A heenbericht "
        "produced to ingress some other way is dead-lettered by the core (stage `routing`, "
        "error `unknown-gemeente` and so on, the sentence as reason) and never delivered. "
        "Retours and the 325 are not checked this way: they go back the way their heenbericht "
        "came, and the core dead-letters one it cannot link.",
        "",
    ]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    """Print the document, or write it with `--out FILE`."""
    text = render()
    if argv[:1] == ["--out"] and len(argv) == 2:
        Path(argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
