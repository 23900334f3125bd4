"""Idle-cost estimate: what a stack bills per month when nobody uses it, from one unit-price file."""
