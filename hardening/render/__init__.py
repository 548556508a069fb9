"""Renderers: each reads the model and writes one output; none re-derives what the core computed."""
