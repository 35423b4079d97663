"""`make bench`: data sets, the render floor and the load and scale tables (see run.py)."""
