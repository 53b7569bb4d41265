"""Eigen bijdrage: per-gemeente policy, the per-person period state machine and the WMO405/407
notices the hub sends to the CAK on a gemeente's behalf (domain.md §6)."""
