"""The content of the message-flow dashboard (isd-hub-flow): for one node (the `$node`
variable), what its parties upload, what the core decides, and what is delivered and fetched.
"""

from __future__ import annotations

from typing import Final

from hub.ops.dashboards.model import RATE, Dashboard, Panel, Row

_N: Final = 'node="$node"'
MESSAGE_FLOW: Final = Dashboard(
    uid="isd-hub-flow",
    title="isd-hub / message flow per node",
    description="For one node: what its parties send, what the core decides, what is "
    "delivered and fetched, per message type.",
    node_variable=True,
    rows=(
        Row(
            "In: what do this node's parties upload?",
            (
                Panel(
                    "Uploads per message type",
                    (
                        (
                            f'sum by (message_type) (rate(isdhub_messages_total{{stage="upload",'
                            f"{_N}}}[{RATE}]))",
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Uploads refused",
                    (
                        (
                            f'sum(rate(isdhub_messages_total{{stage="upload",outcome="refused",'
                            f"{_N}}}[{RATE}])) or vector(0)",
                            "refused",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Decided: what does the core do with them?",
            (
                Panel(
                    "Intake per direction and outcome",
                    (
                        (
                            "sum by (direction, outcome) (rate(isdhub_messages_total"
                            f'{{stage="intake",{_N}}}[{RATE}]))',
                            "{{direction}} {{outcome}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Intake per message type",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="intake",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
            ),
        ),
        Row(
            "Out: what reaches this node's parties, and how fast?",
            (
                Panel(
                    "Delivered into inboxes",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="delivery",outcome="delivered",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Downloaded",
                    (
                        (
                            "sum by (message_type) (rate(isdhub_messages_total"
                            f'{{stage="download",{_N}}}[{RATE}]))',
                            "{{message_type}}",
                        ),
                    ),
                    "reqps",
                ),
                Panel(
                    "Egress consumer lag",
                    (
                        (
                            "sum by (partition) "
                            '(isdhub_consumer_lag_messages{topic=~".*egress.$node"})',
                            "partition {{partition}}",
                        ),
                    ),
                ),
            ),
        ),
    ),
)
