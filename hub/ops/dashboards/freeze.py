"""The content of the eigen-bijdrage and release-freeze dashboard (isd-hub-eb-freeze): each
standard's freeze phase, what the hub parks, what the old release has yet to deliver, and the
eigen-bijdrage notices to and from the CAK.
"""

from __future__ import annotations

from typing import Final

from hub.ops.dashboards.model import RATE, Dashboard, Panel, Row

_FREEZE_EVENTS: Final = 'type=~"message[.](parked|released|returned)"'
EB_FREEZE: Final = Dashboard(
    uid="isd-hub-eb-freeze",
    title="isd-hub / eigen bijdrage and release freeze",
    description="What the hub tells the CAK and what comes back; which release-freeze phase "
    "each standard is in, what the hub holds, and what the old release has yet to deliver.",
    rows=(
        Row(
            "Freeze: which phase is each standard in, and what does the hub hold?",
            (
                Panel(
                    "Freeze phase per standard",
                    (
                        (
                            "max by (standard, phase) (isdhub_freeze_phase) == 1",
                            "{{standard}}: {{phase}}",
                        ),
                    ),
                    kind="stat",
                    description="open: nothing frozen; declaratie-freeze: 323s stop; "
                    "heen-freeze: heenberichten stop; transition: everything stops; live: only "
                    "the new release (hub freeze status).",
                ),
                Panel(
                    "Parked messages",
                    (
                        (
                            "max by (standard, kind) (isdhub_parked_messages)",
                            "{{standard}} {{kind}}",
                        ),
                    ),
                    description="new-release: released into intake at the cutover, in arrival "
                    "order; old-release: returned to the sender then (hub freeze parked).",
                ),
                Panel(
                    "Parked, released and returned",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f"{{{_FREEZE_EVENTS}}}[{RATE}]))",
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Freeze: what must the old release still deliver before the transition?",
            (
                Panel(
                    "Old-release messages not in an inbox / not fetched",
                    (
                        (
                            "max by (standard, state) (isdhub_freeze_unsent_messages)",
                            "{{standard}} {{state}}",
                        ),
                    ),
                    description="From the declaratie freeze to the cutover: routed messages of "
                    "the old release the receiver has not got (undelivered) or not fetched "
                    "(not-downloaded). After the transition they cannot be read any more.",
                ),
            ),
        ),
        Row(
            "Eigen bijdrage: what does the hub tell the CAK, and what comes back?",
            (
                Panel(
                    "Notice entries per route and kind",
                    (
                        (
                            f"sum by (route, kind) (rate(isdhub_eb_notice_entries_total[{RATE}]))",
                            "{{route}} {{kind}}",
                        ),
                    ),
                    "reqps",
                    "405 / 407 entries: start a new period, change its end or dates, retract it.",
                ),
                Panel(
                    "Notices the CAK rejected, and late starts",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f'{{type=~"eigenbijdrage[.](notice-rejected|late-start)"}}[{RATE}]))',
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Signals per kind",
                    (
                        (
                            "sum by (type) (rate(isdhub_events_total"
                            f'{{type=~"signal[.].*"}}[{RATE}]))',
                            "{{type}}",
                        ),
                    ),
                    "reqps",
                    "Toewijzingen whose start (305) or stop (307) is overdue.",
                ),
            ),
        ),
    ),
)
