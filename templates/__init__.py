"""Jinja2 templates, installed inside the package as hardening.templates."""
