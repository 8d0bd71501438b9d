"""Supervision (行政监督平台): what the supervisory department, discipline inspection and the centre watch."""
