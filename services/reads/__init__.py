"""HTTP routes over the read models (projections/): lists, boards, dashboards, directories."""
