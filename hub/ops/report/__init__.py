"""The sleutelmomenten report as people read it: one self-contained HTML page (html.py, with
inline SVG charts from charts.py) or the same figures as CSV rows (csvfile.py)."""
