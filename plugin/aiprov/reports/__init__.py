"""Renderers: each turns plain results into one output format, and nothing else."""
