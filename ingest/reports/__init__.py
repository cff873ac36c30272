"""Periodic reports: the statistical forms (XLD01–04, TCD01) computed from the data, their charts and exports."""
