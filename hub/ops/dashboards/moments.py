"""The Sleutelmomenten rows of the overview dashboard and the PromQL they share with the alert
rule: how many of each key moment arrive on time, per moment and gemeente, and how late.

Which moments have a deadline comes from hub.domain.sleutelmomenten.SPECS, never a list kept
here: only those have an on-time share; the others (no deadline in the standard) show lateness.
Only those whose deadline is the standard's (SPECS' `alerting`) page: not toewijzing.
The series are isdhub_sleutelmomenten_total{moment,gemeente,outcome} and the histogram
isdhub_sleutelmoment_werkdagen{moment,gemeente} (hub.infra.metrics.observe_moments).
"""

from __future__ import annotations

from typing import Final

from hub.domain.sleutelmomenten import SPECS, Outcome
from hub.ops.dashboards.model import Panel, Row

COUNTER: Final = "isdhub_sleutelmomenten_total"
WERKDAGEN: Final = "isdhub_sleutelmoment_werkdagen"
# A week: the moments come a few a day per gemeente, so a rate over minutes says nothing, and
# werkdagen clocks make any window shorter than a week swing with the weekend. The alert uses
# the same window, so the panels show what the alert sees (their titles and the alert's text
# say "7 days").
WINDOW: Final = "7d"
# Moments judged (on time or late) in the window below which a gemeente's share means little:
# one late message among three is no pattern, and small gemeenten see only a few moments a
# week. The alert does not page below it; the worst-gemeenten panel leaves such pairs out
# (unless no pair has that many).
MIN_JUDGED: Final = 20
DEADLINE_MOMENTS: Final = tuple(str(m) for m, s in SPECS.items() if s.deadline is not None)
NO_DEADLINE_MOMENTS: Final = tuple(str(m) for m, s in SPECS.items() if s.deadline is None)
# The moments whose deadline is the standard's: the alert and the worst-gemeenten panel (what
# the alert looks at). Toewijzing's "on time" (not retroactive) is the hub's own measure.
ALERTING_MOMENTS: Final = tuple(str(m) for m, s in SPECS.items() if s.alerting)
_ON_TIME, _LATE = str(Outcome.ON_TIME), str(Outcome.LATE)


def _among(moments: tuple[str, ...]) -> str:
    return f'moment=~"{"|".join(moments)}"'


def judged(by: str, window: str = WINDOW, moments: tuple[str, ...] = DEADLINE_MOMENTS) -> str:
    """How many of `moments` (those with a deadline) were judged (on time or late) in the
    window."""
    return (
        f'sum by ({by}) (increase({COUNTER}{{outcome=~"{_ON_TIME}|{_LATE}",{_among(moments)}}}'
        f"[{window}]))"
    )


def on_time_share(
    by: str, window: str = WINDOW, moments: tuple[str, ...] = DEADLINE_MOMENTS
) -> str:
    """on_time / (on_time + late) of `moments` per `by` over the window. The late series,
    times 0, stands in for a missing on_time series: a gemeente with only late moments has
    share 0, not no data (which would keep the worst case from ever alerting)."""
    among = _among(moments)
    on_time = f'increase({COUNTER}{{outcome="{_ON_TIME}",{among}}}[{window}])'
    late = f'increase({COUNTER}{{outcome="{_LATE}",{among}}}[{window}])'
    return f"sum by ({by}) ({on_time} or 0 * {late}) / {judged(by, window, moments)}"


def _worst(k: int) -> str:
    """The k gemeente / moment pairs with the lowest share among those with MIN_JUDGED or more;
    while no pair has that many (a new hub, the demo), among all pairs, so the panel is not
    empty where there is little traffic."""
    by, alerting = "moment, gemeente", ALERTING_MOMENTS
    share = on_time_share(by, moments=alerting)
    enough = f"{judged(by, moments=alerting)} >= {MIN_JUDGED}"
    return (
        f"bottomk({k}, {share} and on ({by}) {enough}) "
        f"or (bottomk({k}, {share}) unless on () {enough})"
    )


def _lateness(q: float) -> str:
    return f"histogram_quantile({q}, sum by (le, moment) (increase({WERKDAGEN}_bucket[{WINDOW}])))"


def _counted(outcome: Outcome) -> str:
    """How many moments got `outcome` in the window, per moment; 0 (not no data) for a moment
    measured otherwise, so the panel says "none" rather than nothing."""
    return (
        f'sum by (moment) (increase({COUNTER}{{outcome="{outcome}"}}[{WINDOW}])) '
        f"or 0 * sum by (moment) (increase({COUNTER}[{WINDOW}]))"
    )


_NO_DEADLINE_NOTE: Final = (
    f"{', '.join(NO_DEADLINE_MOMENTS)} have no deadline in the standard: they show lateness only."
)

MOMENT_ROWS: Final = (
    Row(
        "Sleutelmomenten: how many key moments arrive on time, per moment and gemeente?",
        (
            Panel(
                "On-time share per moment (last 7 days)",
                ((on_time_share("moment"), "{{moment}}"),),
                "percentunit",
                "On time / (on time + late) of the moments with a deadline, over a rolling "
                "week. " + _NO_DEADLINE_NOTE + " `hub report sleutelmomenten` gives the same "
                "per month, per gemeente and per aanbieder.",
            ),
            Panel(
                "Worst gemeenten: on-time share per moment (last 7 days)",
                (
                    (
                        _worst(10),
                        "{{gemeente}} {{moment}}",
                    ),
                ),
                "percentunit",
                "The ten gemeente / moment pairs with the lowest on-time share over a rolling "
                f"week, among those with at least {MIN_JUDGED} judged in it (what the alert "
                "IsdHubSleutelmomentOnTimeLow looks at); while no pair has that many, among "
                "all of them. Only the moments whose deadline is the standard's "
                f"({', '.join(ALERTING_MOMENTS)}): toewijzing's 'on time' (not retroactive) is "
                "the hub's own measure and is in the share per moment only.",
            ),
        ),
    ),
    Row(
        "Sleutelmomenten: how late, and how many are open or implausible?",
        (
            Panel(
                "Median lateness per moment (werkdagen, last 7 days)",
                ((_lateness(0.5), "{{moment}}"),),
                description="Werkdagen after the moment's clock started (0: on or before "
                "it), every moment including those without a deadline.",
            ),
            Panel(
                "p90 lateness per moment (werkdagen, last 7 days)",
                ((_lateness(0.9), "{{moment}}"),),
                description="Nine in ten of the moments arrived within this many werkdagen.",
            ),
            Panel(
                "Open and implausible per moment (last 7 days)",
                (
                    (_counted(Outcome.OPEN), "{{moment}} open"),
                    (_counted(Outcome.IMPLAUSIBLE), "{{moment}} implausible"),
                ),
                description="Open: a clock ran out with no message yet (a toewijzing past "
                "its Einddatum without a 307, a stop without the adjusting 301); counted when "
                "it opened, the later message is counted again with its lateness. "
                "Implausible: dates the standard allows but that make no sense for the "
                "moment; not in the share or the lateness.",
            ),
        ),
    ),
)
